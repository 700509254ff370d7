//go:build integration

package integration

import (
	"context"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/delta"
)

// deltaPaddedImage is busybox plus ~1 GB in 10,000 files (100 directories of 100 files of 100 KiB
// of random bytes), made once and kept under this tag.
const deltaPaddedImage = "flavor-delta-bench/padded:1g"

func deltaEnsurePadded(tb testing.TB) {
	tb.Helper()
	if _, err := deltaDockerErr("image", "inspect", deltaPaddedImage); err == nil {
		return
	}
	const script = `mkdir /pad && cd /pad && i=0
while [ $i -lt 100 ]; do
  mkdir d$i; j=0
  while [ $j -lt 100 ]; do head -c 102400 /dev/urandom > d$i/f$j; j=$((j+1)); done
  i=$((i+1))
done`
	id := deltaBuild(tb, "busybox:latest", script)
	deltaDocker(tb, "commit", id, deltaPaddedImage)
}

// deltaBase is a finished build (one added file) on one base image.
type deltaBase struct {
	name string
	id   string
	ov   delta.Overlay
	src  delta.ChangeSource
}

// BenchmarkDelta measures the delta of a build that adds one file, on busybox (~2 MB) and on
// busybox padded to ~1 GB in 10,000 files, three ways: the overlay upper directory (local
// engine), the engine's change list plus single-path copies (remote engine), and a full
// container export read through FromTar, the obvious alternative and a lower bound of the
// image-export delta Luet computes. Each iteration runs both bases, alternating which goes
// first, so load on a shared machine falls on both alike; it reports the time of each and
// padded/busybox. bench/delta.sh summarises.
func BenchmarkDelta(b *testing.B) {
	deltaSetup(b)
	deltaEnsurePadded(b)
	ctx := context.Background()
	var bases []deltaBase
	for _, base := range []struct{ name, image string }{{"busybox", "busybox:latest"}, {"padded1GB", deltaPaddedImage}} {
		id := deltaBuild(b, base.image, "echo hello > /hello")
		size, _ := strconv.ParseInt(deltaDocker(b, "image", "inspect", "--format", "{{.Size}}", base.image), 10, 64)
		b.Logf("%s: image %d MB", base.name, size>>20)
		bases = append(bases, deltaBase{base.name, id, deltaOverlayOf(b, id), newDeltaCLISource(b, id, base.image)})
	}
	write := func(b *testing.B, tree *delta.Tree, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tree.WriteArtifact(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
		if n := len(tree.Files()); n != 1 {
			b.Fatalf("delta holds %d files, want 1", n)
		}
		tree.Close()
	}
	ways := []struct {
		name string
		run  func(b *testing.B, base deltaBase)
	}{{"local", func(b *testing.B, base deltaBase) {
		tree, err := delta.FromOverlay(ctx, base.ov)
		write(b, tree, err)
	}}, {"remote", func(b *testing.B, base deltaBase) {
		tree, err := delta.FromChanges(ctx, base.src)
		write(b, tree, err)
	}}, {"export", func(b *testing.B, base deltaBase) {
		cmd := exec.Command("docker", "export", base.id)
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		tree, err := delta.FromTar(ctx, out, delta.WithIncludes(deltaHelloOnly...))
		if werr := cmd.Wait(); err == nil && werr != nil {
			err = werr
		}
		write(b, tree, err)
	}}}
	for _, way := range ways {
		b.Run(way.name, func(b *testing.B) {
			var spent [2]time.Duration
			iter := 0
			for b.Loop() {
				for k := range 2 {
					i := (iter + k) % 2
					start := time.Now()
					way.run(b, bases[i])
					spent[i] += time.Since(start)
				}
				iter++
			}
			n := float64(iter)
			b.ReportMetric(spent[0].Seconds()*1000/n, "busybox-ms/op")
			b.ReportMetric(spent[1].Seconds()*1000/n, "padded-ms/op")
			b.ReportMetric(float64(spent[1])/float64(spent[0]), "padded/busybox")
		})
	}
}

// deltaHelloOnly keeps the export's delta to the one file the build added, so all three ways
// write the same artifact.
var deltaHelloOnly = []*regexp.Regexp{regexp.MustCompile(`^/hello$`)}
