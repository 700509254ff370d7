//go:build integration

package integration

import (
	"context"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/engine/docker"
	"github.com/flavor-dev/flavor/oci"
)

// luetUpstream is one of Luet's own fixture trees, copied unchanged (testdata/luet-upstream).
func luetUpstream(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "luet-upstream", name)
}

var alpineLatest sync.Once

// ensureAlpine gives the engine an alpine:latest for linux/amd64, which Luet's trees name: when
// the engine has none (no network to Docker Hub here), setup.sh's busybox root filesystem stands
// in under that name. An alpine:latest the engine has is left alone.
func ensureAlpine(t testing.TB, d *docker.Docker) {
	t.Helper()
	var err error
	alpineLatest.Do(func() {
		ctx := context.Background()
		if info, ierr := d.InspectImage(ctx, "alpine:latest"); ierr == nil && info.Platform == amd64 {
			return
		}
		var img *oci.BaseImage
		img, err = oci.NewBaseImage(ctx, filepath.Join(setupDir(), "rootfs", "busybox-amd64"), amd64)
		if err != nil {
			return
		}
		defer img.Close()
		_, err = oci.Load(ctx, d, img, "alpine:latest")
	})
	if err != nil {
		t.Fatalf("giving the engine alpine:latest: %v", err)
	}
}

// upstreamBuild builds packages of one of Luet's unchanged trees with a fresh cache.
func upstreamBuild(t *testing.T, tree string, pkgs ...string) *buildRun {
	t.Helper()
	d := dockerEngine(t)
	ensureAlpine(t, d)
	return runBuild(t, d, t.TempDir(), builder.Request{Trees: []string{luetUpstream(tree)}, Packages: pkgs})
}

// TestBuildLuetUpstreamJoin builds Luet's tests/fixtures/join as luet's 31_join.sh does: test/c
// (requires_final_images, unpack, no prelude and no steps) is the join of test/a's and test/b's
// artifacts. Its joined root has no shell, and needs none since nothing runs in it. The files are
// those luet's own build of c-test-1.2 holds.
func TestBuildLuetUpstreamJoin(t *testing.T) {
	t.Parallel()
	r := upstreamBuild(t, "join", "test/c").must(t)
	wantFiles(t, r, "test/a@1.2", map[string]*string{"test3": s("artifact3\n"), "test4": s("artifact4\n")})
	wantFiles(t, r, "test/b@1.1", map[string]*string{"newc": s("artifact5\n"), "newnewc": s("artifact6\n"), "sonewc": s("generated\n")})
	wantFiles(t, r, "test/c@1.2", map[string]*string{
		"test3": s("artifact3\n"), "test4": s("artifact4\n"),
		"newc": s("artifact5\n"), "newnewc": s("artifact6\n"), "sonewc": s("generated\n"),
	})
}

// TestBuildLuetUpstreamRetrieve builds Luet's tests/fixtures/retrieve-integration as luet's
// 04_retrieve.sh does: test/b's `retrieve: a-test-1.0.package.*` is written for Luet's artifact
// name and finds ours (a-test-1.0-linux-amd64.package.tar.zst), extracted into /luetbuild, where
// b's step moves /luetbuild/a to /b.
func TestBuildLuetUpstreamRetrieve(t *testing.T) {
	t.Parallel()
	r := upstreamBuild(t, "retrieve-integration", "test/b").must(t)
	wantFiles(t, r, "test/a@1.0", map[string]*string{"a": s("a\n")})
	wantFiles(t, r, "test/b@1.0", map[string]*string{"b": s("a\n")})
}
