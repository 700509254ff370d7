//go:build integration

package integration

import (
	"context"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/engine/docker"
	"github.com/flavor-dev/flavor/platform"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/oci"
)

var archBases sync.Once

// ensureArchBases tags setup.sh's busybox root filesystems as flavor-build-test/busybox:<arch>
// (an engine holds one platform per name, so the arch tree picks its base by .Platform.Arch).
func ensureArchBases(t *testing.T, d *docker.Docker) {
	t.Helper()
	var err error
	archBases.Do(func() {
		for _, p := range []platform.Platform{amd64, arm64} {
			var img *oci.BaseImage
			if img, err = oci.NewBaseImage(context.Background(), filepath.Join(setupDir(), "rootfs", "busybox-"+p.Arch), p); err != nil {
				return
			}
			_, err = oci.Load(context.Background(), d, img, "flavor-build-test/busybox:"+p.Arch)
			img.Close()
			if err != nil {
				return
			}
		}
	})
	if err != nil {
		t.Fatalf("importing the busybox bases: %v", err)
	}
}

// TestBuildCrossArch builds one tree for linux/amd64 and linux/arm64 in one run; the arm64
// steps run under emulation and ship arm64 binaries. Platform is in the name, metadata and key.
func TestBuildCrossArch(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureArchBases(t, d)
	r := runBuild(t, d, t.TempDir(), builder.Request{Trees: []string{buildTrees("arch")}, Packages: []string{"test/a"},
		Platforms: []platform.Platform{amd64, arm64}}).must(t)
	want := map[string]struct {
		machine string
		elf     elf.Machine
	}{"linux/amd64": {"x86_64\n", elf.EM_X86_64}, "linux/arm64": {"aarch64\n", elf.EM_AARCH64}}
	keys := map[string]bool{}
	for _, a := range r.res.Artifacts {
		w, ok := want[a.Platform.String()]
		if !ok {
			t.Fatalf("artifact for %s", a.Platform)
		}
		delete(want, a.Platform.String())
		keys[a.Metadata.CacheKey] = true
		if !strings.HasSuffix(a.Path, "a-test-1.0-"+strings.ReplaceAll(a.Platform.String(), "/", "-")+".package.tar.zst") || a.Metadata.Platform != a.Platform.String() {
			t.Errorf("%s: artifact %s, metadata platform %s", a.Platform, filepath.Base(a.Path), a.Metadata.Platform)
		}
		got := readArtifact(t, a.Path)
		if got["machine"].Body != w.machine || got["target"].Body != a.Platform.String()+"\n" {
			t.Errorf("%s: uname -m %q, TARGETPLATFORM %q", a.Platform, got["machine"].Body, got["target"].Body)
		}
		bin := filepath.Join(t.TempDir(), "bb")
		if err := os.WriteFile(bin, []byte(got["bb"].Body), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatalf("%s: the shipped busybox is not ELF: %v", a.Platform, err)
		}
		if f.Machine != w.elf {
			t.Errorf("%s: shipped binary is for %s, want %s", a.Platform, f.Machine, w.elf)
		}
		f.Close()
	}
	if len(want) != 0 || len(keys) != 2 {
		t.Errorf("missing platforms %v; %d distinct keys", want, len(keys))
	}
}

// TestBuildCrossArchWithoutEmulation: with no binfmt handler the build fails before starting
// any container, with oci's message and fix.
func TestBuildCrossArchWithoutEmulation(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureArchBases(t, d)
	noBinfmt, err := docker.New(context.Background(), append(engineEnv(), docker.WithBinfmtDir(t.TempDir()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer noBinfmt.Close()
	eng := &counting{Engine: noBinfmt}
	r := runBuild(t, eng, t.TempDir(), builder.Request{Trees: []string{buildTrees("arch")}, Packages: []string{"test/a"},
		Platforms: []platform.Platform{arm64}})
	if !errors.Is(r.err, engine.ErrNoEmulation) || !strings.Contains(r.err.Error(), "qemu-user-static") {
		t.Fatalf("error %v; want ErrNoEmulation with the fix", r.err)
	}
	if eng.count() != 0 {
		t.Errorf("%d containers started before failing", eng.count())
	}
}

// TestBuildOverTCPEngine builds through an engine reached over tcp:// (a loopback proxy to the
// socket, so nothing of it is read from this host's disk): arm64 is checked by running a probe
// container of the resolved base, deltas come from the change list.
func TestBuildOverTCPEngine(t *testing.T) {
	t.Parallel()
	local := dockerEngine(t)
	ensureArchBases(t, local)
	ensureBusybox(t, local)
	d, err := docker.New(context.Background(), docker.WithHost(tcpEngine(t)), docker.WithBinfmtDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r := runBuild(t, d, t.TempDir(), builder.Request{Trees: []string{buildTrees("arch")}, Packages: []string{"test/a"},
		Platforms: []platform.Platform{arm64}}).must(t)
	if got := readArtifact(t, r.artifact(t, "test/a@1.0").Path)["machine"].Body; got != "aarch64\n" {
		t.Errorf("arm64 over tcp: uname -m %q", got)
	}
	m := runBuild(t, d, t.TempDir(), builder.Request{Trees: []string{buildTrees("modify")}, Packages: []string{"test/changed"}}).must(t)
	if got := m.artifact(t, "test/changed@1.0").Metadata; !sameStrings(got.Removed, []string{"etc/group"}) || !contains(got.Files, "etc/passwd") {
		t.Errorf("remote delta: files %v removed %v", got.Files, got.Removed)
	}
	if left, _ := d.Managed(context.Background(), d.RunID()); len(left) != 0 {
		t.Errorf("containers left: %+v", left)
	}
}
