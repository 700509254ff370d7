//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/progress"

	"github.com/flavor-dev/flavor/builder"
)

// benchPadded is busybox plus ~1 GB in 10,000 files (100 directories of 100 files of 100 KiB of
// random bytes). The delta engineer's benchmark makes the same image as
// flavor-delta-bench/padded:1g; it is reused (tagged) when present.
const benchPadded = "flavor-build-bench/padded:1g"

func ensurePadded(b *testing.B) {
	b.Helper()
	if exec.Command("docker", "image", "inspect", benchPadded).Run() == nil {
		return
	}
	if exec.Command("docker", "tag", "flavor-delta-bench/padded:1g", benchPadded).Run() == nil {
		return
	}
	const script = `mkdir /pad && cd /pad && i=0
while [ $i -lt 100 ]; do
  mkdir d$i; j=0
  while [ $j -lt 100 ]; do head -c 102400 /dev/urandom > d$i/f$j; j=$((j+1)); done
  i=$((i+1))
done`
	name := "flavor-build-bench-pad"
	exec.Command("docker", "rm", "-f", name).Run()
	if out, err := exec.Command("docker", "run", "--name", name, "busybox:latest", "sh", "-c", script).CombinedOutput(); err != nil {
		b.Fatalf("making the padded base: %v\n%s", err, out)
	}
	defer exec.Command("docker", "rm", "-f", name).Run()
	if out, err := exec.Command("docker", "commit", name, benchPadded).CombinedOutput(); err != nil {
		b.Fatalf("committing the padded base: %v\n%s", err, out)
	}
}

// benchBuild runs one build with a fresh destination and returns the time from the extract
// stage to the package's done event of pkg (reading the change set, writing the artifact,
// storing it) alongside the result.
func benchBuild(b *testing.B, eng engine.Engine, cache string, req builder.Request, pkg string) time.Duration {
	b.Helper()
	req.Destination = b.TempDir()
	var mu sync.Mutex
	var extract, done time.Time
	_, err := builder.Build(context.Background(), eng, req, builder.WithCacheDir(cache), builder.WithProgress(func(u progress.Event) {
		if u.Package != pkg {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch u.Stage {
		case builder.StageExtract:
			extract = time.Now()
		case builder.StageDone:
			done = time.Now()
		}
	}))
	if err != nil {
		b.Fatal(err)
	}
	if extract.IsZero() {
		return 0
	}
	return done.Sub(extract)
}

// BenchmarkBuildTrivial: a cold build (fresh cache) of a package whose one step is `true`: the
// fixed cost of a build (two containers, a commit, the delta, the artifact).
func BenchmarkBuildTrivial(b *testing.B) {
	d := dockerEngine(b)
	ensureBusybox(b, d)
	req := builder.Request{Trees: []string{buildTrees("bench")}, Packages: []string{"bench/trivial"}}
	for b.Loop() {
		benchBuild(b, d, b.TempDir(), req, "")
	}
}

// BenchmarkDockerRunTrue is the obvious alternative's floor: `docker run --rm busybox true`.
func BenchmarkDockerRunTrue(b *testing.B) {
	d := dockerEngine(b)
	ensureBusybox(b, d)
	for b.Loop() {
		if out, err := exec.Command("docker", "run", "--rm", "busybox:latest", "true").CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}

// BenchmarkBuildCold and BenchmarkBuildCached build Luet's buildableseed chain (3 packages):
// with a fresh cache each time, and again with the cache of a first builder.
func BenchmarkBuildCold(b *testing.B) {
	d := dockerEngine(b)
	ensureBusybox(b, d)
	req := builder.Request{Trees: []string{luetFixtures("buildableseed")}, Packages: []string{"test/d"}}
	for b.Loop() {
		benchBuild(b, d, b.TempDir(), req, "")
	}
}

func BenchmarkBuildCached(b *testing.B) {
	d := dockerEngine(b)
	ensureBusybox(b, d)
	req := builder.Request{Trees: []string{luetFixtures("buildableseed")}, Packages: []string{"test/d"}}
	cache := b.TempDir()
	benchBuild(b, d, cache, req, "")
	eng := &counting{Engine: d}
	for b.Loop() {
		benchBuild(b, eng, cache, req, "")
	}
	if eng.count() != 0 {
		b.Fatalf("cached builds started %d containers", eng.count())
	}
}

// BenchmarkBuildOneFile builds a package whose step adds one file, on busybox (~2 MB) and on
// busybox padded to ~1 GB in 10,000 files; extract-ms is the delta part of the build (change set
// read, artifact written and stored).
func BenchmarkBuildOneFile(b *testing.B) {
	d := dockerEngine(b)
	ensureBusybox(b, d)
	ensurePadded(b)
	for _, base := range []struct{ name, image string }{{"busybox", "busybox:latest"}, {"padded1GB", benchPadded}} {
		values := filepath.Join(b.TempDir(), "values.yaml")
		if err := os.WriteFile(values, []byte("base: "+base.image+"\n"), 0o644); err != nil {
			b.Fatal(err)
		}
		req := builder.Request{Trees: []string{buildTrees("bench")}, Packages: []string{"bench/onefile"}, Values: []string{values}}
		b.Run(base.name, func(b *testing.B) {
			var extract time.Duration
			for b.Loop() {
				extract += benchBuild(b, d, b.TempDir(), req, "bench/onefile@1.0")
			}
			b.ReportMetric(float64(extract.Milliseconds())/float64(b.N), "extract-ms/op")
		})
	}
}
