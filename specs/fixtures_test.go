package specs

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The Luet fixture trees of luet-reference.md §6.2 (and "Also useful"), recreated under
// testdata/luet with busybox. Each test loads a tree, checks what the rendered specs say the
// build will do, and resolves it to the order and levels Luet's own tests expect.

func loadFixture(t *testing.T, name string, opts ...Option) *Tree {
	t.Helper()
	tr, err := Load(context.Background(), []string{filepath.Join("testdata", "luet", name)}, opts...)
	if err != nil {
		t.Fatalf("loading fixture %s: %v", name, err)
	}
	return tr
}

func mustRef(t *testing.T, s string) Ref {
	t.Helper()
	r, err := ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustLookup(t *testing.T, tr *Tree, ref string) *Package {
	t.Helper()
	p, err := tr.Lookup(mustRef(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ids(ps []*Package) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID()
	}
	return out
}

func buildOrder(t *testing.T, tr *Tree, refs ...string) *Resolution {
	t.Helper()
	var rs []Ref
	for _, r := range refs {
		rs = append(rs, mustRef(t, r))
	}
	res, err := tr.Resolve(context.Background(), rs...)
	if err != nil {
		t.Fatalf("resolving %v: %v", refs, err)
	}
	return res
}

func wantIDs(t *testing.T, what string, got []*Package, want ...string) {
	t.Helper()
	if g := ids(got); !reflect.DeepEqual(g, want) && !(len(g) == 0 && len(want) == 0) {
		t.Fatalf("%s = %v, want %v", what, g, want)
	}
}

func levelIDs(res *Resolution) [][]string {
	var out [][]string
	for _, l := range res.Levels() {
		out = append(out, ids(l))
	}
	return out
}

func TestFixtureBuildableSeed(t *testing.T) {
	tr := loadFixture(t, "buildableseed")
	if n := len(tr.Packages()); n != 4 {
		t.Fatalf("%d packages, want 4 (Luet's compiler_test counts 4)", n)
	}
	res := buildOrder(t, tr, "test/d")
	wantIDs(t, "order of d", res.Order(), "test/b@1.0", "test/c@1.0", "test/d@1.0")
	b := mustLookup(t, tr, "test/b")
	if b.Spec.Image != "busybox" || !reflect.DeepEqual(b.Spec.Prelude, []string{"echo foo > /test", "echo bar > /test2"}) ||
		!reflect.DeepEqual(b.Spec.Steps, []string{"echo artifact5 > /test5", "echo artifact6 > /test6", "sh ./generate.sh"}) {
		t.Fatalf("b's spec = %+v", b.Spec)
	}
	d := mustLookup(t, tr, "test/d")
	if !reflect.DeepEqual(d.Spec.Steps, []string{"echo s > /d", "echo dd > /dd"}) || d.Spec.Image != "" {
		t.Fatalf("d's spec = %+v", d.Spec)
	}
	// a lives two directories down (cat/cat2/a): the layout does not matter
	a := mustLookup(t, tr, "test/a")
	if filepath.Base(a.Dir) != "a" || !strings.HasSuffix(filepath.ToSlash(a.Dir), "cat/cat2/a") {
		t.Fatalf("a's dir = %s", a.Dir)
	}
	wantIDs(t, "order of a", buildOrder(t, tr, "test/a").Order(), "test/b@1.0", "test/a@1.0")
}

func TestFixtureBuildable(t *testing.T) {
	tr := loadFixture(t, "buildable")
	c := mustLookup(t, tr, "test/c")
	// image and requires together: image is the build root, requires are still resolved
	if c.Spec.Image != "busybox" || len(c.Spec.Requires) != 1 {
		t.Fatalf("c's spec = %+v", c.Spec)
	}
	res := buildOrder(t, tr, "test/c")
	wantIDs(t, "order of c", res.Order(), "test/b@1.0", "test/c@1.0")
	b := mustLookup(t, tr, "test/b")
	if !reflect.DeepEqual(b.Spec.Steps[:2], []string{"echo artifact5 > /test5", "echo artifact6 > /test6"}) {
		t.Fatalf("b's steps = %v", b.Spec.Steps)
	}
}

func TestFixtureSimpleDep(t *testing.T) {
	tr := loadFixture(t, "simple_dep")
	res := buildOrder(t, tr, "test/c")
	// 24_buildonlytarget.sh: building c emits a-test-1.2 and c-test-1.0
	wantIDs(t, "order of c", res.Order(), "test/a@1.2", "test/c@1.0")
	fps := []string{}
	for _, p := range res.Order() {
		fps = append(fps, p.Fingerprint())
	}
	if !reflect.DeepEqual(fps, []string{"a-test-1.2", "c-test-1.0"}) {
		t.Fatalf("fingerprints = %v", fps)
	}
	a := mustLookup(t, tr, "test/a")
	if !reflect.DeepEqual(a.Spec.Prelude, []string{"touch /a-prelude"}) || !reflect.DeepEqual(a.Spec.Steps, []string{"touch /a"}) {
		t.Fatalf("a's spec = %+v", a.Spec)
	}
}

func TestFixtureFilters(t *testing.T) {
	tests := []struct {
		tree               string
		includes, excludes []string
		unpack             bool
	}{
		{"include", []string{"/test5", "mar.*"}, nil, false},
		{"excludes", nil, []string{"marvot"}, false},
		{"excludesincludes", []string{"/test5", "mar.*"}, []string{"marvot"}, false},
		{"includeimage", []string{"marvin", "^/var$", `^\/var\/lib$`, "^/var/lib/marvin.*"}, nil, true},
		{"excludeimage", nil, []string{"marvot", "^/test", "^/lib/firmware"}, true},
		{"excludeincludeimage", []string{"marvin", "marvot", "^/var$"}, []string{"marvot"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			tr := loadFixture(t, tt.tree)
			b := mustLookup(t, tr, "test/b")
			if !reflect.DeepEqual(b.Spec.Includes, tt.includes) || !reflect.DeepEqual(b.Spec.Excludes, tt.excludes) || b.Spec.Unpack != tt.unpack {
				t.Fatalf("b's filters = inc %q exc %q unpack %v", b.Spec.Includes, b.Spec.Excludes, b.Spec.Unpack)
			}
			res := buildOrder(t, tr, "test/b")
			if tt.unpack {
				// the image variants build b over the unpacked seed a
				wantIDs(t, "order", res.Order(), "test/a@1.0", "test/b@1.0")
			} else {
				wantIDs(t, "order", res.Order(), "test/b@1.0")
			}
		})
	}
}

func TestFixturePackageDir(t *testing.T) {
	tr := loadFixture(t, "package_dir")
	if n := len(tr.Packages()); n != 2 {
		t.Fatalf("%d packages, want 2", n)
	}
	d := mustLookup(t, tr, "test/dironly")
	f := mustLookup(t, tr, "test/dironly_filter")
	if d.Spec.PackageDir != "/foo" || f.Spec.PackageDir != "/foo" || !reflect.DeepEqual(f.Spec.Includes, []string{"/test5"}) {
		t.Fatalf("specs = %+v / %+v", d.Spec, f.Spec)
	}
	res := buildOrder(t, tr, "test/dironly", "test/dironly_filter")
	// no dependencies: both in level 0
	if got := levelIDs(res); !reflect.DeepEqual(got, [][]string{{"test/dironly@1.0", "test/dironly_filter@1.0"}}) {
		t.Fatalf("levels = %v", got)
	}
}

func TestFixturePackageLayers(t *testing.T) {
	for _, name := range []string{"packagelayers", "packagelayers_hidden"} {
		t.Run(name, func(t *testing.T) {
			tr := loadFixture(t, name)
			rt := mustLookup(t, tr, "layer/runtime")
			if !rt.Spec.Unpack || !reflect.DeepEqual(rt.Spec.Steps, []string{"rm -rfv /var"}) {
				t.Fatalf("runtime's spec = %+v", rt.Spec)
			}
			if rt.Hidden != (name == "packagelayers_hidden") {
				t.Fatalf("hidden = %v", rt.Hidden)
			}
			res := buildOrder(t, tr, "layer/runtime")
			wantIDs(t, "order", res.Order(), "layer/build@0.1", "layer/runtime@0.1")
			wantIDs(t, "deps of runtime", res.Deps(rt), "layer/build@0.1")
		})
	}
}

func TestFixtureSymlinksPermsOwners(t *testing.T) {
	tr := loadFixture(t, "symlinks")
	a := mustLookup(t, tr, "test/pkgAsym")
	if a.Spec.Unpack || a.Spec.Prelude[0] != "echo file2 > /file2" || a.Spec.Steps[0] != "ln -s /file2 /file1" {
		t.Fatalf("pkgAsym = %+v", a.Spec)
	}
	if b := mustLookup(t, tr, "test/pkgBsym"); !b.Spec.Unpack {
		t.Fatalf("pkgBsym is not unpack")
	}
	perms := mustLookup(t, loadFixture(t, "perms"), "test/perms")
	if !reflect.DeepEqual(perms.Spec.Includes, []string{"/foo", "/foo/bar", "/foo/bar/.keep"}) {
		t.Fatalf("perms includes = %q", perms.Spec.Includes)
	}
	extra := mustLookup(t, loadFixture(t, "extra_perms"), "test/extra")
	if !strings.Contains(strings.Join(extra.Spec.Steps, ";"), "chmod 4644 /perm/suid") {
		t.Fatalf("extra_perms steps = %q", extra.Spec.Steps)
	}
	ow := loadFixture(t, "owners")
	if d, u := mustLookup(t, ow, "owners/delta"), mustLookup(t, ow, "owners/unpack"); d.Spec.Unpack || !u.Spec.Unpack {
		t.Fatalf("owners modes: delta unpack=%v, unpack unpack=%v", d.Spec.Unpack, u.Spec.Unpack)
	}
}

func TestFixtureCopy(t *testing.T) {
	tr := loadFixture(t, "copy")
	c := mustLookup(t, tr, "test/c")
	want := []Copy{
		{Package: &Ref{Category: "test", Name: "a", Version: ">=0"}, Source: "/test3", Destination: "/test3"},
		{Image: "busybox", Source: "/bin/busybox", Destination: "/busybox"},
	}
	if !reflect.DeepEqual(c.Spec.Copy, want) {
		t.Fatalf("copy = %+v", c.Spec.Copy)
	}
	res := buildOrder(t, tr, "test/c")
	// a package copied from is built first
	wantIDs(t, "order", res.Order(), "test/a@1.0", "test/c@1.0")
	cp := res.Copies(c)
	if len(cp) != 2 || cp[0] == nil || cp[0].ID() != "test/a@1.0" || cp[1] != nil {
		t.Fatalf("copies = %v", cp)
	}
}

func TestFixtureJoin(t *testing.T) {
	tr := loadFixture(t, "join")
	c := mustLookup(t, tr, "test/c")
	if !c.Spec.RequiresFinalImages || !c.Spec.Unpack {
		t.Fatalf("c = %+v", c.Spec)
	}
	res := buildOrder(t, tr, "test/c")
	wantIDs(t, "order", res.Order(), "test/a@1.0", "test/b@1.0", "test/c@1.0")
	wantIDs(t, "join set", res.Join(c), "test/a@1.0", "test/b@1.0")
	if got := levelIDs(res); !reflect.DeepEqual(got, [][]string{{"test/a@1.0", "test/b@1.0"}, {"test/c@1.0"}}) {
		t.Fatalf("levels = %v", got)
	}
}

func TestFixtureJoinComplex(t *testing.T) {
	tr := loadFixture(t, "join_complex")
	x := mustLookup(t, tr, "test/x")
	res := buildOrder(t, tr, "test/x")
	// x joins f and c; the join set is the runtime closure, so c's runtime requirement b joins too
	wantIDs(t, "join set of x", res.Join(x), "test/f@1.0", "test/c@1.0", "test/b@1.0")
	wantIDs(t, "order of x", res.Order(), "test/a@1.0", "test/b@1.0", "test/c@1.0", "test/f@1.0", "test/x@1.0")
	f := mustLookup(t, tr, "test/f")
	wantIDs(t, "deps of f", res.Deps(f), "test/a@1.0", "test/b@1.0")
	// z chains on c (its build root is c's package image)
	wantIDs(t, "order of z", buildOrder(t, tr, "test/z").Order(), "test/c@1.0", "test/z@1.0")
	c1 := mustLookup(t, tr, "test/c1")
	if c1.Spec.Steps[0] != "test ! -e /usr/bin/generate.sh" {
		t.Fatalf("c1 steps = %q", c1.Spec.Steps)
	}
	wantIDs(t, "join set of c1", buildOrder(t, tr, "test/c1").Join(c1), "test/b@1.0")
}

func TestFixtureSubpackages(t *testing.T) {
	tr := loadFixture(t, "subpackage")
	parent := mustLookup(t, tr, "sub/parent")
	subs := map[string]*Package{}
	for _, p := range tr.Packages() {
		if p.IsSubpackage() {
			subs[p.Name] = p
		}
	}
	if len(subs) != 3 || subs["foo"] == nil {
		t.Fatalf("subpackages = %v", subs)
	}
	if s := subs["baz"]; s.Parent != parent || s.ID() != "sub/baz@1.0" || !reflect.DeepEqual(s.Split.Includes, []string{"usr/bin/awk"}) {
		t.Fatalf("baz = %+v", s)
	}
	if s := subs["bar"]; !reflect.DeepEqual(s.Split.Excludes, []string{"^/usr"}) {
		t.Fatalf("bar = %+v", s.Split)
	}
	// subpackages exist only in the runtime graph
	if _, err := tr.Resolve(context.Background(), mustRef(t, "sub/baz")); !errors.Is(err, ErrNotBuildable) || !strings.Contains(err.Error(), "sub/parent@1.0") {
		t.Fatalf("building a subpackage: %v", err)
	}
	rt, err := tr.ResolveRuntime(context.Background(), mustRef(t, "sub/baz"))
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "runtime closure", rt.Order(), "sub/baz@1.0")

	col := loadFixture(t, "subpackage_collection")
	var got []string
	for _, p := range col.Packages() {
		if p.IsSubpackage() {
			got = append(got, p.ID())
		}
	}
	// foo exists only where the entry says test: yup
	want := []string{"sub/bar@1.0", "sub/bar@2.0", "sub/baz@1.0", "sub/baz@2.0", "sub/foo@1.0"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("collection subpackages = %v, want %v", got, want)
	}
}

func TestFixtureTemplates(t *testing.T) {
	tr := loadFixture(t, "templates")
	b := mustLookup(t, tr, "test/busybox")
	// image: "{{.Values.name}}:{{.Values.test.foo}}"
	if b.Spec.Image != "busybox:latest" || b.Spec.Steps[0] != "echo latest > /busybox" {
		t.Fatalf("rendered = %+v", b.Spec)
	}
}

func TestFixtureTemplateRequires(t *testing.T) {
	tr := loadFixture(t, "template_requires")
	if n := len(tr.Packages()); n != 7 {
		t.Fatalf("%d packages, want 7", n)
	}
	tests := map[string][]string{
		"test/foo-bar":  {"base/bar@1.0", "test/foo-bar@1.0"},
		"test/foo-baz":  {"base/baz@1.0", "test/foo-baz@1.0"},
		"test/foo-both": {"base/bar@1.0", "base/baz@1.0", "test/foo-both@1.0"},
		"test/foo-none": {"test/foo-none@1.0"},
	}
	for ref, want := range tests {
		t.Run(ref, func(t *testing.T) {
			wantIDs(t, "order", buildOrder(t, tr, ref).Order(), want...)
		})
	}
	if p := mustLookup(t, tr, "test/foo-none"); p.Spec.Image != "busybox" || len(p.Spec.Requires) != 0 {
		t.Fatalf("foo-none = %+v", p.Spec)
	}
}

func TestFixtureSharedTemplates(t *testing.T) {
	tr := loadFixture(t, "shared_templates")
	for name, content := range map[string]string{"one": "first", "two": "second"} {
		p := mustLookup(t, tr, "shared/"+name)
		want := []string{`echo "` + content + `" > /` + name, "echo done > /done-" + name}
		if !reflect.DeepEqual(p.Spec.Steps, want) {
			t.Fatalf("%s steps = %q, want %q", name, p.Spec.Steps, want)
		}
	}
}

func TestFixtureBuildValues(t *testing.T) {
	dir := filepath.Join("testdata", "luet", "build_values", "values")
	tests := []struct {
		name   string
		values []string
		steps  []string
		pack   string
	}{
		{"no values", nil, []string{"touch /a", "touch /build-extra-baz", "touch /a-from-definition", "echo definition-definition > /nested"}, "touch /pack-<no value>"},
		// 22_build_values.sh: --values with bb: ttt gives /a-ttt
		{"one file", []string{"values2.yaml"}, []string{"touch /a", "touch /build-extra-baz", "touch /a-ttt", "echo definition-definition > /nested"}, "touch /pack-ttt"},
		// the rightmost file wins; nested maps merge key by key
		{"two files", []string{"values.yaml", "values2.yaml"}, []string{"touch /a", "touch /build-extra-baz", "touch /a-ttt", "echo definition-values > /nested"}, "touch /pack-ttt"},
		{"two files reversed", []string{"values2.yaml", "values.yaml"}, []string{"touch /a", "touch /build-extra-baz", "touch /a-yyy", "echo definition-values > /nested"}, "touch /pack-yyy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []string
			for _, v := range tt.values {
				files = append(files, filepath.Join(dir, v))
			}
			tr := loadFixture(t, "build_values", WithValuesFiles(files...))
			a := mustLookup(t, tr, "test/a")
			if !reflect.DeepEqual(a.Spec.Steps, tt.steps) {
				t.Fatalf("steps = %q, want %q", a.Spec.Steps, tt.steps)
			}
			// pack/ sits inside the collection's directory: a package of its own
			if p := mustLookup(t, tr, "test/pack"); p.Spec.Steps[0] != tt.pack {
				t.Fatalf("pack steps = %q, want %q", p.Spec.Steps, tt.pack)
			}
		})
	}
}

func TestFixtureVirtuals(t *testing.T) {
	tr := loadFixture(t, "virtuals")
	a := mustLookup(t, tr, "test/a")
	if !a.Spec.Virtual() {
		t.Fatalf("a (empty build.yaml) is not virtual")
	}
	wantIDs(t, "order of a", buildOrder(t, tr, "test/a").Order(), "test/a@1.0")
	img := mustLookup(t, tr, "test/image")
	if img.Spec.Virtual() || !img.Spec.Empty() {
		t.Fatalf("image: virtual=%v empty=%v", img.Spec.Virtual(), img.Spec.Empty())
	}
	wantIDs(t, "order of virtual", buildOrder(t, tr, "test/virtual").Order(), "test/image@1.0", "test/virtual@1.0")
	// 25_virtuals.sh: b (requires the virtual a) and c (steps, no image) fail
	for ref, msg := range map[string]string{
		"test/b": "none of its build dependencies (test/a@1.0) has an image",
		"test/c": "no image and no requires",
	} {
		_, err := tr.Resolve(context.Background(), mustRef(t, ref))
		if !errors.Is(err, ErrNotBuildable) || !strings.Contains(err.Error(), msg) {
			t.Fatalf("resolving %s: %v, want ErrNotBuildable saying %q", ref, err, msg)
		}
	}
}

func TestFixtureProvides(t *testing.T) {
	for _, name := range []string{"provides", "provides_selector"} {
		t.Run(name, func(t *testing.T) {
			tr := loadFixture(t, name)
			res := buildOrder(t, tr, "test/d")
			// d requires bar/foo, which test/c provides: c (and its dependency b) are built
			wantIDs(t, "order", res.Order(), "test/b@1.0", "test/c@1.0", "test/d@1.0")
			d := mustLookup(t, tr, "test/d")
			wantIDs(t, "deps of d", res.Deps(d), "test/c@1.0")
			if !reflect.DeepEqual(d.Spec.Steps, []string{"echo d > /d", "echo dd > /dd"}) {
				t.Fatalf("d steps = %q", d.Spec.Steps)
			}
		})
	}
}

func TestFixtureExpansion(t *testing.T) {
	tr := loadFixture(t, "expansion")
	res := buildOrder(t, tr, "test/c")
	// b requires a >=1.0: the newest, 1.1, is chosen
	wantIDs(t, "order", res.Order(), "test/a@1.1", "test/b@1.0", "test/c@1.0")
}

func TestFixtureComplexSelection(t *testing.T) {
	tr := loadFixture(t, "complex/selection")
	if n := len(tr.Packages()); n != 10 {
		t.Fatalf("%d packages, want 10", n)
	}
	res := buildOrder(t, tr, "sys-fs-5.4.2/vhba@20190410")
	// compiler_test.go "Generates a correct buildtree": levels 0-5
	want := [][]string{
		{"layer/build@0.1"},
		{"layer/sabayon-build-portage@0.20191126"},
		{"layer/build-sabayon-overlay@0.20191212"},
		{"layer/build-sabayon-overlays@0.1"},
		{"sys-kernel/linux-sabayon@5.4.2", "sys-kernel/sabayon-sources@5.4.2"},
		{"sys-fs-5.4.2/vhba@20190410"},
	}
	if got := levelIDs(res); !reflect.DeepEqual(got, want) {
		t.Fatalf("levels = %v\nwant %v", got, want)
	}
	// "Compiles complex dependencies trees with best matches": 6 dependencies
	if n := len(res.Order()) - 1; n != 6 {
		t.Fatalf("%d dependencies, want 6", n)
	}
}

func TestFixtureCollections(t *testing.T) {
	tr := loadFixture(t, "collections")
	if n := len(tr.Packages()); n != 3 {
		t.Fatalf("%d packages, want 3", n)
	}
	for _, name := range []string{"foo", "bar", "baz"} {
		p := mustLookup(t, tr, "test/"+name)
		if !p.Collection || p.Spec.Steps[0] != "echo "+name+" > /"+name {
			t.Fatalf("%s = %+v", name, p.Spec)
		}
		want := `echo "` + name + "-" + p.Version + ` installed" > /installed-` + name
		if p.Finalizer == nil || !reflect.DeepEqual(p.Finalizer.Install, []string{want}) {
			t.Fatalf("%s finalizer = %+v, want %q", name, p.Finalizer, want)
		}
	}
	rt, err := tr.ResolveRuntime(context.Background(), mustRef(t, "test/baz"))
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "runtime closure of baz", rt.Order(), "test/foo@1.0", "test/bar@1.0", "test/baz@1.1")
	// runtime requires are not build requires
	wantIDs(t, "build order of baz", buildOrder(t, tr, "test/baz").Order(), "test/baz@1.1")
}

func TestFixtureVersioning(t *testing.T) {
	tr := loadFixture(t, "versioning")
	res := buildOrder(t, tr, "app-misc/app")
	wantIDs(t, "order", res.Order(), "dev-libs/libsigc++-2@2.10.1+1", "dev-libs/libsodium@1.0.29+pre2_p20191024.1", "app-misc/app@1.0")
	// 08_versioning.sh refers to it as a Gentoo atom
	p := mustLookup(t, tr, "=dev-libs/libsigc++-2-2.10.1+1")
	if p.Version != "2.10.1+1" {
		t.Fatalf("atom found %s", p.ID())
	}
	if p := mustLookup(t, tr, "dev-libs/libsigc++-2@2.10.1"); p.Version != "2.10.1" {
		t.Fatalf("exact lookup found %s", p.ID())
	}
}
