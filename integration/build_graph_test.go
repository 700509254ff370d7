//go:build integration

package integration

import (
	"context"
	"errors"
	"github.com/flavor-dev/flavor/engine"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/builder"
)

// TestBuildDeltaModifiedAndDeleted: a step that modifies an existing file ships it (with its
// new content), one that deletes a file lists it as removed, and a prelude file the steps
// rewrote counts as modified; `delta: added` gives Luet's behaviour (only new paths, no removals).
func TestBuildDeltaModifiedAndDeleted(t *testing.T) {
	t.Parallel()
	r := fixture(t, buildTrees("modify"), []string{"test/changed", "test/added", "test/plain"}).must(t)
	passwd := "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n"
	got := wantFiles(t, r, "test/changed@1.0", map[string]*string{
		"etc/passwd": s(passwd), "etc/app.conf": s("from-steps\n"), "etc/new": s("new\n"),
	})
	if e := got["etc"]; e.Type != '5' || e.Mode != 0o755 {
		t.Errorf("etc, the parent of shipped files, is %+v; want the directory with its real mode", e)
	}
	m := r.artifact(t, "test/changed@1.0").Metadata
	if !sameStrings(m.Removed, []string{"etc/group"}) || m.Strategy != "delta" {
		t.Errorf("changed: removed %v strategy %q; want [etc/group] and delta", m.Removed, m.Strategy)
	}
	wantFiles(t, r, "test/added@1.0", map[string]*string{"etc/new": s("new\n")})
	// Without a prelude the steps run in the builder container; the result is the same kind.
	plain := wantFiles(t, r, "test/plain@1.0", map[string]*string{"etc/passwd": s(passwd), "usr/share/app/new": s("new\n")})
	if plain["etc/passwd"].Mode != 0o600 {
		t.Errorf("plain: etc/passwd mode %o, want 600", plain["etc/passwd"].Mode)
	}
	if m := r.artifact(t, "test/plain@1.0").Metadata; !sameStrings(m.Removed, []string{"etc/group"}) {
		t.Errorf("plain: removed %v", m.Removed)
	}
	if m := r.artifact(t, "test/added@1.0").Metadata; len(m.Removed) != 0 || m.Strategy != "delta-added" {
		t.Errorf("added: removed %v strategy %q; want none and delta-added", m.Removed, m.Strategy)
	}
}

// TestBuildJoin: requires_final_images squashes the artifacts of a (a whole busybox plus /test3)
// and b (/test4) into the root of c; b's prelude output is not there. x joins c and d, and b
// through d's runtime requires (Luet's join_complex, with a shell in the root).
func TestBuildJoin(t *testing.T) {
	t.Parallel()
	r := fixture(t, buildTrees("join"), []string{"test/c", "test/x"}).must(t)
	wantFiles(t, r, "test/c@1.0", map[string]*string{"newc": s("newc\n")})
	// x joins a join (c) and d, with d's runtime requirement b: its steps check the files.
	wantFiles(t, r, "test/x@1.0", map[string]*string{"x": s("x\n")})
	if m := r.artifact(t, "test/c@1.0").Metadata; m.BaseImage != "" || len(m.BuildDeps) != 2 {
		t.Errorf("join metadata: base %q deps %+v; want no base image and two build deps", m.BaseImage, m.BuildDeps)
	}
}

// TestBuildCopy follows Luet's copy fixture: files copied from a package's image and from an
// image are in the steps' root; the steps put copies where they ship.
func TestBuildCopy(t *testing.T) {
	t.Parallel()
	r := fixture(t, buildTrees("copy"), []string{"test/c"}).must(t)
	bb, err := os.ReadFile(filepath.Join(setupDir(), "rootfs", "busybox-amd64", "bin", "busybox"))
	if err != nil {
		t.Fatal(err)
	}
	got := wantFiles(t, r, "test/c@1.0", map[string]*string{"result": s("test3\n"), "bina/busybox": nil})
	if got["bina/busybox"].Body != string(bb) {
		t.Errorf("bina/busybox is not busybox's binary (%d bytes)", len(got["bina/busybox"].Body))
	}
}

// TestBuildChainRoot: p requires x and y, each built on its own image. p's root is the package
// image of y (the last require) alone: y's file is there, x's is not.
func TestBuildChainRoot(t *testing.T) {
	t.Parallel()
	r := fixture(t, buildTrees("siblings"), []string{"test/p"}).must(t)
	wantFiles(t, r, "test/p@1.0", map[string]*string{"pfile": s("p\n")})
}

// TestBuildEnvironment: env entries expand against the root's PATH and earlier entries; steps
// see the package identity, the target platform and the flavor flags; the working directory is
// /luetbuild with the package directory in it. The flavor is in the artifact's name and
// metadata.
func TestBuildEnvironment(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	r := runBuild(t, d, t.TempDir(), builder.Request{Trees: []string{buildTrees("env")}, Packages: []string{"test/e"}, Flavor: "debug"}).must(t)
	a := r.artifact(t, "test/e@1.0")
	wantFiles(t, r, "test/e@1.0", map[string]*string{
		"path":     s("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/e/bin\n"),
		"identity": s("e test 1.0\n"),
		"target":   s("linux/amd64 linux amd64\n"),
		"flavor":   s("ssl=1 debug=1\n"),
		"workdir":  s("/luetbuild\n"),
		"context":  s("build.yaml\ndefinition.yaml\n"),
		"debug":    s("on\n"),
	})
	if filepath.Base(a.Path) != "e-test-1.0-linux-amd64-debug,ssl.package.tar.zst" {
		t.Errorf("artifact name %s", filepath.Base(a.Path))
	}
	if a.Metadata.Flavor != "debug,ssl is: x86_64" || a.Metadata.Platform != "linux/amd64" {
		t.Errorf("metadata flavor %q platform %q", a.Metadata.Flavor, a.Metadata.Platform)
	}
	r2 := runBuild(t, d, t.TempDir(), builder.Request{Trees: []string{buildTrees("env")}, Packages: []string{"test/e"}, Flavor: "!ssl"}).must(t)
	a2 := r2.artifact(t, "test/e@1.0")
	if filepath.Base(a2.Path) != "e-test-1.0-linux-amd64--debug,-ssl.package.tar.zst" {
		t.Errorf("artifact name %s", filepath.Base(a2.Path))
	}
	if a2.Metadata.CacheKey == a.Metadata.CacheKey {
		t.Errorf("two flavors share the cache key %s", a.Metadata.CacheKey)
	}
	if got := readArtifact(t, a2.Path)["flavor"].Body; got != "ssl=0 debug=0\n" {
		t.Errorf("!ssl build sees %q", got)
	}
}

// TestBuildStepFailure: the error names the package, platform, step number and text, the exit
// code and the last 20 lines; no container is left.
func TestBuildStepFailure(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	r := runBuild(t, d, t.TempDir(), builder.Request{Trees: []string{buildTrees("fail")}, Packages: []string{"test/f"}})
	var se *builder.StepError
	if !errors.As(r.err, &se) || !errors.Is(r.err, builder.ErrStepFailed) {
		t.Fatalf("want a *StepError, got %v", r.err)
	}
	if se.Package != "test/f@1.0" || se.Platform != "linux/amd64" || se.Index != 2 || se.Count != 3 || se.ExitCode != 3 || se.Stage != builder.StageStep {
		t.Errorf("step error %+v", se)
	}
	if len(se.Output) != 20 || se.Output[0] != "line12" || se.Output[19] != "oops" {
		t.Errorf("tail %q; want line12…line30 and oops", se.Output)
	}
	msg := se.Error()
	for _, w := range []string{"test/f@1.0", "linux/amd64", "step 2 of 3", "exited with code 3", "| oops", "exit 3"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
	var lines []string
	for _, u := range r.events {
		if u.Stage == builder.StageOutput && u.Package == "test/f@1.0" {
			lines = append(lines, u.Message)
		}
	}
	if len(lines) != 32 || lines[0] != "fine" || lines[31] != "oops" {
		t.Errorf("streamed %d lines (%q…); want 32 from fine to oops", len(lines), lines)
	}
	if left, _ := d.Managed(t.Context(), d.RunID()); len(left) != 0 {
		t.Errorf("containers left after a failed step: %+v", left)
	}
}

// TestBuildRetrieve: b's retrieve glob finds a's artifact in the destination, and it arrives
// extracted in /luetbuild.
func TestBuildRetrieve(t *testing.T) {
	t.Parallel()
	r := fixture(t, buildTrees("retrieve"), []string{"test/b"}).must(t)
	wantFiles(t, r, "test/b@1.0", map[string]*string{"b": s("from-a\n")})
}

// remoteLike hides the overlay directories, as a remote engine does, so the build reads the
// delta through the change list and single-path copies.
type remoteLike struct{ engine.Engine }

func (remoteLike) OverlayDirs(context.Context, string) (engine.OverlayDirs, bool, error) {
	return engine.OverlayDirs{}, false, nil
}

// TestBuildRemoteDeltaMatchesLocal: the change-list path gives the same artifact as the overlay
// path (files, contents, modes, owners, removed list), for a step that adds, modifies and
// deletes, with a prelude (two stages) and without (one).
func TestBuildRemoteDeltaMatchesLocal(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	pkgs := []string{"test/changed", "test/added", "test/plain"}
	local := runBuild(t, d, t.TempDir(), builder.Request{Trees: []string{buildTrees("modify")}, Packages: pkgs}).must(t)
	remote := runBuild(t, remoteLike{d}, t.TempDir(), builder.Request{Trees: []string{buildTrees("modify")}, Packages: pkgs}).must(t)
	for _, p := range []string{"test/changed@1.0", "test/added@1.0", "test/plain@1.0"} {
		la, ra := local.artifact(t, p), remote.artifact(t, p)
		l, r := readArtifact(t, la.Path), readArtifact(t, ra.Path)
		if !sameStrings(names(l), names(r)) {
			t.Errorf("%s: local %v, remote %v", p, names(l), names(r))
			continue
		}
		for n, e := range l {
			if r[n] != e {
				t.Errorf("%s: %s local %+v, remote %+v", p, n, e, r[n])
			}
		}
		if !sameStrings(la.Metadata.Removed, ra.Metadata.Removed) {
			t.Errorf("%s: removed local %v, remote %v", p, la.Metadata.Removed, ra.Metadata.Removed)
		}
	}
	if left, _ := d.Managed(t.Context(), d.RunID()); len(left) != 0 {
		t.Errorf("containers left: %+v", left)
	}
}
