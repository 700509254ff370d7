//go:build integration

package integration

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/engine/docker"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"

	"github.com/klauspost/compress/zstd"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/oci"
)

// luetFixtures is the specs engineer's recreation of Luet's busybox-only fixtures.
func luetFixtures(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "specs", "testdata", "luet", name)
}

// buildTrees is this package's own trees for build tests.
func buildTrees(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "build", name)
}

var busyboxLatest sync.Once

// ensureBusybox makes sure the engine has busybox:latest for linux/amd64 (the fixtures say
// `image: busybox`), importing setup.sh's root filesystem when it is missing or of another
// platform. Other suites use the same rootfs, so an existing amd64 busybox is left alone.
func ensureBusybox(t testing.TB, d *docker.Docker) {
	t.Helper()
	var err error
	busyboxLatest.Do(func() {
		ctx := context.Background()
		info, ierr := d.InspectImage(ctx, "busybox:latest")
		if ierr == nil && info.Platform == amd64 {
			return
		}
		var img *oci.BaseImage
		img, err = oci.NewBaseImage(ctx, filepath.Join(setupDir(), "rootfs", "busybox-amd64"), amd64)
		if err != nil {
			return
		}
		defer img.Close()
		_, err = oci.Load(ctx, d, img, "busybox:latest")
	})
	if err != nil {
		t.Fatalf("importing busybox:latest: %v", err)
	}
}

// counting wraps an engine and counts the containers it creates.
type counting struct {
	engine.Engine
	mu      sync.Mutex
	created int
}

func (c *counting) Create(ctx context.Context, spec engine.ContainerSpec) (string, error) {
	c.mu.Lock()
	c.created++
	c.mu.Unlock()
	return c.Engine.Create(ctx, spec)
}

// The optional capabilities pass through, so the build sees what the wrapped engine can do.
func (c *counting) CanRun(ctx context.Context, p platform.Platform, probe string) error {
	if e, ok := c.Engine.(engine.EmulationChecker); ok {
		return e.CanRun(ctx, p, probe)
	}
	return nil
}

func (c *counting) Managed(ctx context.Context, run string) ([]engine.ManagedContainer, error) {
	if e, ok := c.Engine.(engine.ContainerLister); ok {
		return e.Managed(ctx, run)
	}
	return nil, nil
}

func (c *counting) OverlayDirs(ctx context.Context, id string) (engine.OverlayDirs, bool, error) {
	if e, ok := c.Engine.(engine.OverlayReader); ok {
		return e.OverlayDirs(ctx, id)
	}
	return engine.OverlayDirs{}, false, nil
}

func (c *counting) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.created
}

// builds runs builder.Build with a fresh destination and the given cache directory.
type buildRun struct {
	dest   string
	res    *builder.Result
	err    error
	events []progress.Event
}

func runBuild(t *testing.T, eng engine.Engine, cacheDir string, req builder.Request, opts ...builder.Option) *buildRun {
	t.Helper()
	r := &buildRun{dest: req.Destination}
	if r.dest == "" {
		r.dest = t.TempDir()
		req.Destination = r.dest
	}
	var mu sync.Mutex
	opts = append([]builder.Option{builder.WithCacheDir(cacheDir), builder.WithProgress(func(u progress.Event) {
		mu.Lock()
		r.events = append(r.events, u)
		mu.Unlock()
	})}, opts...)
	r.res, r.err = builder.Build(context.Background(), eng, req, opts...)
	return r
}

// must fails the test when the build failed, showing the output it streamed.
func (r *buildRun) must(t *testing.T) *buildRun {
	t.Helper()
	if r.err != nil {
		var lines []string
		for _, u := range r.events {
			if u.Stage == builder.StageOutput {
				lines = append(lines, u.Package+": "+u.Message)
			}
		}
		t.Fatalf("build failed: %v\noutput:\n%s", r.err, strings.Join(lines, "\n"))
	}
	return r
}

// artifact finds the artifact of pkg (category/name@version) in the result.
func (r *buildRun) artifact(t *testing.T, pkg string) builder.Artifact {
	t.Helper()
	for _, a := range r.res.Artifacts {
		if a.Package == pkg {
			return a
		}
	}
	var have []string
	for _, a := range r.res.Artifacts {
		have = append(have, a.Package)
	}
	t.Fatalf("no artifact of %s; have %v", pkg, have)
	return builder.Artifact{}
}

// entry is one tar entry of an artifact.
type entry struct {
	Name     string
	Type     byte
	Mode     int64
	UID, GID int
	Link     string
	Body     string
}

// readArtifact reads a .package.tar.zst into its entries, by name.
func readArtifact(t *testing.T, path string) map[string]entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	out := map[string]entry{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		b, _ := io.ReadAll(tr)
		out[strings.TrimSuffix(hdr.Name, "/")] = entry{Name: hdr.Name, Type: hdr.Typeflag, Mode: hdr.Mode,
			UID: hdr.Uid, GID: hdr.Gid, Link: hdr.Linkname, Body: string(b)}
	}
}

// names returns the sorted entry names of an artifact.
func names(m map[string]entry) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fileNames returns the sorted non-directory names.
func fileNames(m map[string]entry) []string {
	var out []string
	for k, e := range m {
		if e.Type != tar.TypeDir {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
