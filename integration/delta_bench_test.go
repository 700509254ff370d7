package integration

import (
	"context"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

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

// BenchmarkDelta measures the delta of a build that adds one file, on busybox (~2 MB) and on
// busybox padded to ~1 GB in 10,000 files, three ways: the overlay upper directory (local
// engine), the engine's change list plus single-path copies (remote engine), and a full
// container export read through FromTar, the obvious alternative and a lower bound of the
// image-export delta Luet computes. bench/delta.sh prints the padded/busybox ratios.
func BenchmarkDelta(b *testing.B) {
	deltaSetup(b)
	deltaEnsurePadded(b)
	ctx := context.Background()
	for _, base := range []struct{ name, image string }{{"busybox", "busybox:latest"}, {"padded1GB", deltaPaddedImage}} {
		id := deltaBuild(b, base.image, "echo hello > /hello")
		size, _ := strconv.ParseInt(deltaDocker(b, "image", "inspect", "--format", "{{.Size}}", base.image), 10, 64)
		b.Logf("%s: image %d MB", base.name, size>>20)
		ov := deltaOverlayOf(b, id)
		src := newDeltaCLISource(b, id, base.image)
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
		b.Run("local/"+base.name, func(b *testing.B) {
			for b.Loop() {
				tree, err := delta.FromOverlay(ctx, ov)
				write(b, tree, err)
			}
		})
		b.Run("remote/"+base.name, func(b *testing.B) {
			for b.Loop() {
				tree, err := delta.FromChanges(ctx, src)
				write(b, tree, err)
			}
		})
		b.Run("export/"+base.name, func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command("docker", "export", id)
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
			}
		})
	}
}

// deltaHelloOnly keeps the export's delta to the one file the build added, so all three ways
// write the same artifact.
var deltaHelloOnly = []*regexp.Regexp{regexp.MustCompile(`^/hello$`)}
