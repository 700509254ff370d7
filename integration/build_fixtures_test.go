//go:build integration

package integration

import (
	"archive/tar"
	"errors"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/specs"
)

// fixture builds packages of one of Luet's recreated fixtures (or of this package's trees) with
// a fresh cache and destination.
func fixture(t *testing.T, tree string, pkgs []string, values ...string) *buildRun {
	t.Helper()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	return runBuild(t, d, t.TempDir(), builder.Request{Trees: []string{tree}, Packages: pkgs, Values: values})
}

// wantFiles checks the non-directory entries of pkg's artifact, their contents where given
// (a nil body means "any"), and that the metadata lists the same files.
func wantFiles(t *testing.T, r *buildRun, pkg string, files map[string]*string) map[string]entry {
	t.Helper()
	a := r.artifact(t, pkg)
	got := readArtifact(t, a.Path)
	var want []string
	for n, body := range files {
		want = append(want, n)
		if body != nil && got[n].Body != *body {
			t.Errorf("%s: %s holds %q, want %q", pkg, n, got[n].Body, *body)
		}
	}
	want = sortedCopy(want)
	if !sameStrings(fileNames(got), want) {
		t.Errorf("%s ships files %v, want %v", pkg, fileNames(got), want)
	}
	if !a.Metadata.Runtime.Hidden && !sameStrings(a.Metadata.Files, want) {
		t.Errorf("%s metadata lists files %v, want %v", pkg, a.Metadata.Files, want)
	}
	return got
}

func s(v string) *string { return &v }

func TestBuildFixturesDeltaFilters(t *testing.T) {
	t.Parallel()
	cases := []struct {
		tree  string
		files map[string]*string
	}{
		// `mar.*` is unanchored: it matches /marvot as well.
		{"include", map[string]*string{"test5": s("artifact5\n"), "marvin": s("marvin\n"), "marvot": s("marvot\n")}},
		{"excludes", map[string]*string{"test5": s("artifact5\n"), "test6": s("artifact6\n"), "marvin": s("marvin\n")}},
		{"excludesincludes", map[string]*string{"test5": s("artifact5\n"), "marvin": s("marvin\n")}},
	}
	for _, c := range cases {
		t.Run(c.tree, func(t *testing.T) {
			t.Parallel()
			r := fixture(t, luetFixtures(c.tree), []string{"test/b"}).must(t)
			got := wantFiles(t, r, "test/b@1.0", c.files)
			if _, ok := got["test"]; ok {
				t.Errorf("the prelude's /test was shipped")
			}
		})
	}
}

func TestBuildFixturesUnpackFilters(t *testing.T) {
	t.Parallel()
	cases := []struct {
		tree    string
		entries []string // every entry, directories included
		files   map[string]*string
		absent  []string
	}{
		{"includeimage", []string{"marvin", "var", "var/lib", "var/lib/marvin"},
			map[string]*string{"marvin": s("marvin\n"), "var/lib/marvin": s("m\n")}, nil},
		{"excludeincludeimage", []string{"marvin", "var", "var/lib", "var/lib/marvin"},
			map[string]*string{"marvin": s("marvin\n"), "var/lib/marvin": s("m\n")}, nil},
	}
	for _, c := range cases {
		t.Run(c.tree, func(t *testing.T) {
			t.Parallel()
			r := fixture(t, luetFixtures(c.tree), []string{"test/b"}).must(t)
			got := wantFiles(t, r, "test/b@1.0", c.files)
			if !sameStrings(names(got), c.entries) {
				t.Errorf("entries %v, want %v", names(got), c.entries)
			}
		})
	}
	t.Run("excludeimage", func(t *testing.T) {
		t.Parallel()
		r := fixture(t, luetFixtures("excludeimage"), []string{"test/b"}).must(t)
		got := readArtifact(t, r.artifact(t, "test/b@1.0").Path)
		for _, n := range []string{"marvin", "var/lib/marvin", "bin/busybox", "etc/passwd"} {
			if _, ok := got[n]; !ok {
				t.Errorf("%s missing", n)
			}
		}
		for _, n := range []string{"marvot", "test", "test2", "test5", "lib/firmware", "lib/firmware/blob", "luetbuild"} {
			if _, ok := got[n]; ok {
				t.Errorf("%s shipped despite the excludes (or the build-directory rule)", n)
			}
		}
		// a: the whole busybox plus its steps' files, without the build directory.
		a := readArtifact(t, r.artifact(t, "test/a@1.0").Path)
		for _, n := range []string{"bin/busybox", "test", "test2", "lib/firmware/blob"} {
			if _, ok := a[n]; !ok {
				t.Errorf("test/a: %s missing from the unpacked filesystem", n)
			}
		}
		if _, ok := a["luetbuild"]; ok {
			t.Errorf("test/a ships /luetbuild")
		}
	})
}

func TestBuildFixturesPackageDir(t *testing.T) {
	t.Parallel()
	r := fixture(t, luetFixtures("package_dir"), []string{"test/dironly", "test/dironly_filter"}).must(t)
	wantFiles(t, r, "test/dironly@1.0", map[string]*string{"test1": s("test1\n"), "test2": s("test2\n")})
	got := wantFiles(t, r, "test/dironly_filter@1.0", map[string]*string{"test5": s("artifact5\n")})
	if len(got) != 1 {
		t.Errorf("dironly_filter entries %v, want only test5", names(got))
	}
}

func TestBuildFixturesSymlinks(t *testing.T) {
	t.Parallel()
	r := fixture(t, luetFixtures("symlinks"), []string{"test/pkgAsym", "test/pkgBsym"}).must(t)
	a := wantFiles(t, r, "test/pkgAsym@1.0", map[string]*string{"file1": nil})
	if a["file1"].Type != tar.TypeSymlink || a["file1"].Link != "/file2" {
		t.Errorf("pkgAsym file1 = %+v, want a symlink to /file2", a["file1"])
	}
	b := wantFiles(t, r, "test/pkgBsym@1.0", map[string]*string{"file3": nil})
	if b["file3"].Type != tar.TypeSymlink || b["file3"].Link != "/file4" {
		t.Errorf("pkgBsym file3 = %+v, want a symlink to /file4", b["file3"])
	}
}

func TestBuildFixturesOwnersAndModes(t *testing.T) {
	t.Parallel()
	type attr struct {
		mode     int64
		uid, gid int
	}
	check := func(t *testing.T, got map[string]entry, want map[string]attr) {
		t.Helper()
		if !sameStrings(names(got), sortedKeys(want)) {
			t.Errorf("entries %v, want %v", names(got), sortedKeys(want))
		}
		for n, w := range want {
			e := got[n]
			if e.Mode != w.mode || e.UID != w.uid || e.GID != w.gid {
				t.Errorf("%s: mode %o %d:%d, want %o %d:%d", n, e.Mode, e.UID, e.GID, w.mode, w.uid, w.gid)
			}
		}
	}
	t.Run("perms", func(t *testing.T) {
		t.Parallel()
		r := fixture(t, luetFixtures("perms"), []string{"test/perms"}).must(t)
		check(t, readArtifact(t, r.artifact(t, "test/perms@1.0").Path), map[string]attr{
			"foo": {0o755, 101, 101}, "foo/bar": {0o755, 100, 100}, "foo/bar/.keep": {0o644, 100, 100},
		})
	})
	t.Run("extra_perms", func(t *testing.T) {
		t.Parallel()
		r := fixture(t, luetFixtures("extra_perms"), []string{"test/extra"}).must(t)
		check(t, readArtifact(t, r.artifact(t, "test/extra@1.0").Path), map[string]attr{
			"perm": {0o755, 0, 0}, "perm/suid": {0o4644, 0, 0}, "perm/sgid": {0o2644, 0, 0}, "perm/sticky": {0o1644, 0, 0},
		})
	})
	t.Run("owners", func(t *testing.T) {
		t.Parallel()
		r := fixture(t, luetFixtures("owners"), []string{"owners/delta", "owners/unpack"}).must(t)
		for _, p := range []string{"owners/delta@1.0", "owners/unpack@1.0"} {
			check(t, readArtifact(t, r.artifact(t, p).Path), map[string]attr{
				"foo": {0o755, 1000, 1001}, "foo/file500": {0o500, 1000, 1001}, "foo/file600": {0o600, 1000, 1001},
			})
		}
	})
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return sortedCopy(out)
}

// TestBuildFixturesCopy is Luet's copy fixture: test/c copies /test3 from test/a's package image
// and busybox from the busybox image, and its steps copy them on to /result and /bina/busybox.
// Copy runs once, before the steps, so the copied files themselves are the baseline and only what
// the steps made ships.
func TestBuildFixturesCopy(t *testing.T) {
	t.Parallel()
	r := fixture(t, luetFixtures("copy"), []string{"test/c"}).must(t)
	got := wantFiles(t, r, "test/c@1.0", map[string]*string{"result": s("test3\n"), "bina/busybox": nil})
	if got["bina/busybox"].Mode&0o111 == 0 || len(got["bina/busybox"].Body) < 100000 {
		t.Errorf("bina/busybox is not the busybox executable: mode %o, %d bytes", got["bina/busybox"].Mode, len(got["bina/busybox"].Body))
	}
	wantFiles(t, r, "test/a@1.0", map[string]*string{"test3": s("test3\n")})
}

func TestBuildFixturesSubpackages(t *testing.T) {
	t.Parallel()
	r := fixture(t, luetFixtures("subpackage"), []string{"sub/parent"}).must(t)
	parent := readArtifact(t, r.artifact(t, "sub/parent@1.0").Path)
	for _, n := range []string{"bin/busybox", "usr/bin", "var", "etc/passwd"} {
		if _, ok := parent[n]; !ok {
			t.Errorf("parent lacks %s", n)
		}
	}
	// baz includes only usr/bin/awk (Luet's fixture names cksum, an applet this busybox lacks).
	baz := wantFiles(t, r, "sub/baz@1.0", map[string]*string{"usr/bin/awk": nil})
	if e := baz["usr/bin/awk"]; e.Type != tar.TypeSymlink || e.Link != "/bin/busybox" {
		t.Errorf("baz's usr/bin/awk is %c -> %q, want the symlink to /bin/busybox", e.Type, e.Link)
	}
	bar := readArtifact(t, r.artifact(t, "sub/bar@1.0").Path)
	foo := readArtifact(t, r.artifact(t, "sub/foo@1.0").Path)
	if _, ok := bar["bin/busybox"]; !ok {
		t.Errorf("bar lacks bin/busybox")
	}
	for n := range bar {
		if n == "usr" || strings.HasPrefix(n, "usr/") {
			t.Errorf("bar ships %s despite excluding ^/usr", n)
		}
	}
	for n := range foo {
		if n == "var" || strings.HasPrefix(n, "var/") {
			t.Errorf("foo ships %s despite excluding ^/var", n)
		}
	}
	if len(foo) == 0 || len(bar) >= len(parent) || len(foo) >= len(parent) {
		t.Errorf("sizes: parent %d, bar %d, foo %d entries", len(parent), len(bar), len(foo))
	}
	if m := r.artifact(t, "sub/bar@1.0").Metadata; m.Parent != "sub/parent@1.0" || m.CacheKey != r.artifact(t, "sub/parent@1.0").Metadata.CacheKey {
		t.Errorf("bar metadata: parent %q key %q", m.Parent, m.CacheKey)
	}
}

func TestBuildFixturesTemplatesAndValues(t *testing.T) {
	t.Parallel()
	t.Run("templates", func(t *testing.T) {
		t.Parallel()
		r := fixture(t, luetFixtures("templates"), []string{"test/busybox"}).must(t)
		wantFiles(t, r, "test/busybox@1.0", map[string]*string{"busybox": s("latest\n")})
	})
	t.Run("build_values", func(t *testing.T) {
		t.Parallel()
		dir := luetFixtures("build_values")
		r := fixture(t, dir, []string{"test/a", "test/pack"}, dir+"/values/values.yaml", dir+"/values/values2.yaml").must(t)
		wantFiles(t, r, "test/a@1.0", map[string]*string{"a": s(""), "build-extra-baz": s(""), "a-ttt": s(""), "nested": s("definition-values\n")})
		wantFiles(t, r, "test/pack@1.0", map[string]*string{"pack-ttt": s("")})
	})
	t.Run("shared_templates", func(t *testing.T) {
		t.Parallel()
		r := fixture(t, luetFixtures("shared_templates"), []string{"shared/one", "shared/two"}).must(t)
		wantFiles(t, r, "shared/one@1.0", map[string]*string{"one": s("first\n"), "done-one": s("done\n")})
		wantFiles(t, r, "shared/two@1.0", map[string]*string{"two": s("second\n"), "done-two": s("done\n")})
	})
	t.Run("collections", func(t *testing.T) {
		t.Parallel()
		r := fixture(t, luetFixtures("collections"), []string{"test/foo", "test/bar", "test/baz"}).must(t)
		for _, p := range []string{"foo", "bar", "baz"} {
			id := "test/" + p + "@1.0"
			if p == "baz" {
				id = "test/baz@1.1"
			}
			a := wantFiles(t, r, id, map[string]*string{p: s(p + "\n")})
			_ = a
			m := r.artifact(t, id).Metadata
			if m.Finalizer == nil || len(m.Finalizer.Install) != 1 || !strings.Contains(m.Finalizer.Install[0], "/installed-"+p) {
				t.Errorf("%s finalizer %+v", id, m.Finalizer)
			}
		}
	})
}

func TestBuildFixturesVirtuals(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	eng := &counting{Engine: d}
	r := runBuild(t, eng, t.TempDir(), builder.Request{Trees: []string{luetFixtures("virtuals")}, Packages: []string{"test/a", "test/image", "test/virtual"}}).must(t)
	for _, p := range []string{"test/a@1.0", "test/image@1.0", "test/virtual@1.0"} {
		a := r.artifact(t, p)
		if got := readArtifact(t, a.Path); len(got) != 0 || len(a.Metadata.Files) != 0 || a.Metadata.Strategy != "empty" {
			t.Errorf("%s: %d entries, files %v, strategy %q; want an empty artifact", p, len(got), a.Metadata.Files, a.Metadata.Strategy)
		}
	}
	if eng.count() != 0 {
		t.Errorf("virtual packages and image-only seeds started %d containers, want 0", eng.count())
	}
	for _, c := range []struct{ pkg, want string }{
		{"test/b", "has an image to start from"},
		{"test/c", "no image and no requires"},
	} {
		r := runBuild(t, eng, t.TempDir(), builder.Request{Trees: []string{luetFixtures("virtuals")}, Packages: []string{c.pkg}})
		if !errors.Is(r.err, specs.ErrNotBuildable) || !strings.Contains(r.err.Error(), c.want) {
			t.Errorf("building %s: %v; want ErrNotBuildable saying %q", c.pkg, r.err, c.want)
		}
	}
	if eng.count() != 0 {
		t.Errorf("failed plans started %d containers", eng.count())
	}
}

func TestBuildFixturesProvidesAndLayers(t *testing.T) {
	t.Parallel()
	t.Run("provides", func(t *testing.T) {
		t.Parallel()
		r := fixture(t, luetFixtures("provides"), []string{"test/d"}).must(t)
		wantFiles(t, r, "test/d@1.0", map[string]*string{"d": s("d\n"), "dd": s("dd\n")})
		wantFiles(t, r, "test/c@1.0", map[string]*string{"c": s("c\n")})
		for _, a := range r.res.Artifacts {
			if a.Package == "bar/foo@1.0" {
				t.Errorf("bar/foo was built although test/c provides it")
			}
		}
	})
	for _, tree := range []string{"packagelayers", "packagelayers_hidden"} {
		t.Run(tree, func(t *testing.T) {
			t.Parallel()
			r := fixture(t, luetFixtures(tree), []string{"layer/runtime"}).must(t)
			a := r.artifact(t, "layer/runtime@0.1")
			got := readArtifact(t, a.Path)
			if _, ok := got["bin/busybox"]; !ok {
				t.Errorf("runtime lacks bin/busybox")
			}
			if _, ok := got["var"]; ok {
				t.Errorf("runtime ships /var, which its step removed")
			}
			hidden := tree == "packagelayers_hidden"
			if listed := len(a.Metadata.Files) > 0; listed == hidden {
				t.Errorf("hidden=%v but metadata lists %d files", hidden, len(a.Metadata.Files))
			}
			if !hidden && !contains(a.Metadata.Files, "bin/busybox") {
				t.Errorf("metadata files lack bin/busybox")
			}
		})
	}
}

// TestBuildFixturesJoin builds Luet's join fixtures (requires_final_images): test/c's root is
// the squashed artifacts of test/a and test/b (test/b ships /bin/sh, standing in for Luet's whole
// base), so its unpack artifact holds both plus its own file; in join_complex, test/x joins a join
// (test/f) and test/c with test/b through c's runtime requires, and test/c1 proves that test/b's
// prelude-only /usr/bin/generate.sh never reaches a joined root.
func TestBuildFixturesJoin(t *testing.T) {
	t.Parallel()
	r := fixture(t, luetFixtures("join"), []string{"test/c"}).must(t)
	wantFiles(t, r, "test/c@1.0", map[string]*string{"test3": s("test3\n"), "test4": s("test4\n"), "newc": s("newc\n"), "bin/sh": nil})
	rc := fixture(t, luetFixtures("join_complex"), []string{"test/x", "test/z", "test/c1"}).must(t)
	wantFiles(t, rc, "test/x@1.0", map[string]*string{"x": s("x\n")})
	wantFiles(t, rc, "test/z@1.0", map[string]*string{"z": s("z\n")})
	wantFiles(t, rc, "test/c1@1.0", map[string]*string{"c1": s("c1\n")})
}

// TestBuildChain builds Luet's buildableseed fixture: d requires c requires b (image busybox,
// prelude writing /test and /test2, steps writing /test5, /test6 and running generate.sh). Each
// artifact holds only what its own steps wrote; prelude output is never shipped.
func TestBuildChain(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	eng := &counting{Engine: d}
	r := runBuild(t, eng, t.TempDir(), builder.Request{Trees: []string{luetFixtures("buildableseed")}, Packages: []string{"test/d"}}).must(t)
	wantFiles(t, r, "test/b@1.0", map[string]*string{"test5": s("artifact5\n"), "test6": s("artifact6\n"), "artifact42": s("generated\n")})
	wantFiles(t, r, "test/c@1.0", map[string]*string{"c": s("c\n"), "cd": s("c\n")})
	wantFiles(t, r, "test/d@1.0", map[string]*string{"d": s("s\n"), "dd": s("dd\n")})
	if eng.count() == 0 || r.res.Containers != eng.count() {
		t.Errorf("result says %d containers, the engine saw %d", r.res.Containers, eng.count())
	}
	m := r.artifact(t, "test/d@1.0").Metadata
	if len(m.BuildDeps) != 1 || m.BuildDeps[0].Package != "test/c@1.0" || m.BuildDeps[0].CacheKey != r.artifact(t, "test/c@1.0").Metadata.CacheKey {
		t.Errorf("test/d build deps %+v", m.BuildDeps)
	}
	if m.BaseImage == "" || m.BaseImage != r.artifact(t, "test/b@1.0").Metadata.BaseImage {
		t.Errorf("test/d base image %q, test/b's %q: want busybox's digest on both", m.BaseImage, r.artifact(t, "test/b@1.0").Metadata.BaseImage)
	}
}
