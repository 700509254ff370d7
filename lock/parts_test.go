package lock

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs"
	"github.com/flavor-dev/flavor/specs/flavor"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// loadPkg loads a one-package tree for linux/amd64 and returns the package.
func loadPkg(t *testing.T, def string) *specs.Package {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p/definition.yaml": "name: p\ncategory: c\nversion: \"1\"\n" + def})
	tr, err := specs.Load(context.Background(), []string{dir}, specs.WithPlatform(platform.Platform{OS: "linux", Arch: "amd64"}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := tr.Lookup(specs.Ref{Category: "c", Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestChooseVariant(t *testing.T) {
	two := "flags: {ssl: true, debug: false}\n"
	tests := []struct {
		name, def, req string
		want           string // chosen flavor, or "" for no variant
		why            []string
	}{
		{"no flags", "", "is: x86_64", "is: x86_64", nil},
		{"nothing requested: every flag off", two, "is: x86_64", "~!debug,~!ssl is: x86_64", nil},
		{"a preferred flag turns it on", two, "~ssl is: x86_64", "~!debug,ssl is: x86_64", nil},
		{"a required flag", two, "ssl,debug is: x86_64", "debug,ssl is: x86_64", nil},
		{"a disallowed flag", two, "!ssl,~debug is: x86_64", "debug,~!ssl is: x86_64", nil},
		{"restricted variants, none fits", two + "variants: [\"ssl\"]\n", "!ssl is: x86_64", "",
			[]string{`"~!debug,ssl is: x86_64": it has "ssl", the requested flavor has "!ssl"`}},
		{"a flag on that the request does not name", "flags: {ssl: true}\nvariants: [\"ssl\"]\n", "is: x86_64", "",
			[]string{"it is built with ssl, which the requested flavor does not name (add ~ssl or ssl)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := loadPkg(t, tt.def)
			v, err := chooseVariant(p, flavor.MustParse(tt.req))
			if tt.want == "" {
				var ve *VariantError
				if !errors.As(err, &ve) || !errors.Is(err, ErrNoVariant) {
					t.Fatalf("error %v; want a *VariantError", err)
				}
				for _, w := range tt.why {
					if !strings.Contains(err.Error(), w) {
						t.Fatalf("error:\n%v\nwant %q", err, w)
					}
				}
				return
			}
			if err != nil || v.flavor != tt.want {
				t.Fatalf("chose %q (%v), want %q", v.flavor, err, tt.want)
			}
			if got := p.VariantFlavor(v.flags); got != tt.want {
				t.Fatalf("flags %v give %q", v.flags, got)
			}
		})
	}
}

func TestLockedVariant(t *testing.T) {
	p := loadPkg(t, "flags: {ssl: true, debug: false}\n")
	v, err := lockedVariant(p, "debug,~!ssl is: x86_64")
	if err != nil || !reflect.DeepEqual(v.flags, map[string]bool{"debug": true, "ssl": false}) {
		t.Fatalf("flags %v, %v", v.flags, err)
	}
	for _, bad := range []string{"ssl is: x86_64", "debug,~!ssl,gone is: x86_64", "debug,~!ssl is: aarch64", "ssl,,"} {
		if _, err := lockedVariant(p, bad); err == nil {
			t.Errorf("locked flavor %q accepted", bad)
		}
	}
}

func TestMakeRounds(t *testing.T) {
	a, b := &specs.Package{Category: "c", Name: "a", Version: "1"}, &specs.Package{Category: "c", Name: "b", Version: "1"}
	n := func(p *specs.Package, f string) *need { return &need{pkg: p, build: p, v: variant{flavor: f}} }
	byBuild := map[string][]*need{}
	for _, x := range []*need{n(a, "x"), n(a, "y"), n(b, "x")} {
		byBuild[x.buildKey()] = append(byBuild[x.buildKey()], x)
	}
	got := makeRounds(byBuild)
	want := [][]string{{"c/a@1 x", "c/b@1 x"}, {"c/a@1 y"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rounds %v, want %v", got, want)
	}
}

// art is a built artifact for tests.
func art(p *specs.Package, base string) *builder.Artifact {
	return &builder.Artifact{Package: p.ID(), Metadata: builder.Metadata{
		Name: p.Name, Category: p.Category, Version: p.Version, BaseImage: base, CacheKey: "sha256:key-" + p.Name,
		Checksums: map[string]string{"sha256": "sum-" + p.Name}, BuildDeps: []builder.BuildDep{{Package: "c/dep@1", CacheKey: "k"}},
	}}
}

func TestGroupsShipEachPackageOnce(t *testing.T) {
	mk := func(name string) *need {
		p := &specs.Package{Category: "c", Name: name, Version: "1"}
		return &need{pkg: p, build: p, v: variant{flavor: "is: x86_64"}, art: art(p, "sha256:base")}
	}
	rt, app, tool, lib := mk("rt"), mk("app"), mk("tool"), mk("lib")
	entry := func(id, group string, closure ...*need) *entryPlan {
		return &entryPlan{in: manifest.Install{ID: id, PkgGroup: group}, self: closure[len(closure)-1], closure: closure}
	}
	sp := &systemPlan{system: "linux/amd64", images: map[string]string{"base:1": "sha256:base"}, entries: []*entryPlan{
		entry("tool", "b", rt, lib, tool), // lib is named by an entry of group a: it ships there
		entry("app", "a", rt, app),
		entry("lib", "a", lib),
	}}
	got := groups(sp)
	var names [][]string
	for _, g := range got {
		var ps []string
		for _, p := range g.Packages {
			ps = append(ps, p.Package+"["+strings.Join(p.InstallIDs, ",")+"]")
		}
		names = append(names, append([]string{g.Name}, ps...))
	}
	want := [][]string{{"a", "c/rt@1[]", "c/app@1[app]", "c/lib@1[lib]"}, {"b", "c/tool@1[tool]"}}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("groups %v, want %v", names, want)
	}
	if got[0].Packages[0].BaseImage != "base:1@sha256:base" {
		t.Fatalf("base image %q", got[0].Packages[0].BaseImage)
	}
}

func TestMakeLockFrozen(t *testing.T) {
	m := setup(t, twoSystems+"[install]\nhello.pkg-path = \"apps/hello\"\n", nil)
	p, err := NewPlan(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range p.plans {
		sp.images["base:x"] = "sha256:base"
		for _, ep := range sp.entries {
			for _, n := range ep.closure {
				n.art = art(n.pkg, "sha256:base")
			}
		}
	}
	r := p.r
	r.o.launchers = map[string]string{"linux/amd64": "sha256:l1", "linux/arm64": "sha256:l2"}
	l, err := r.makeLock(p.plans)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := l.Entry("hello", "linux/arm64")
	if !ok || e.BaseImage != "base:x@sha256:base" || e.CacheKey != "sha256:key-hello" || e.ArtifactDigest != "sha256:sum-hello" ||
		!reflect.DeepEqual(e.BuildDeps, []string{"c/dep@1"}) || e.Version != "1.1" || l.Launchers["linux/arm64"] != "sha256:l2" || l.ManifestDigest != m.Digest() {
		t.Fatalf("lock entry %+v, launchers %v", e, l.Launchers)
	}

	// Frozen: the same build passes; another artifact digest, cache key or launcher does not.
	for _, sp := range p.plans {
		for _, ep := range sp.entries {
			prev, _ := l.Entry(ep.in.ID, sp.system)
			ep.previous = &prev
		}
	}
	r.o.frozen, r.o.lock = true, l
	if _, err := r.makeLock(p.plans); err != nil {
		t.Fatalf("frozen, same build: %v", err)
	}
	tests := []struct {
		name   string
		change func()
		undo   func()
		want   string
	}{
		{"artifact digest", func() { p.plans[0].entries[0].self.art.Metadata.Checksums["sha256"] = "other" },
			func() { p.plans[0].entries[0].self.art.Metadata.Checksums["sha256"] = "sum-hello" }, "not reproducible"},
		{"cache key", func() { p.plans[0].entries[0].self.art.Metadata.CacheKey = "sha256:new" },
			func() { p.plans[0].entries[0].self.art.Metadata.CacheKey = "sha256:key-hello" }, "cache key is sha256:new, locked sha256:key-hello"},
		{"launcher", func() { r.o.launchers["linux/amd64"] = "sha256:other" }, func() { r.o.launchers["linux/amd64"] = "sha256:l1" },
			"records launcher sha256:l1 for linux/amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.change()
			defer tt.undo()
			_, err := r.makeLock(p.plans)
			if !errors.Is(err, manifest.ErrStaleLock) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want ErrStaleLock saying %q", err, tt.want)
			}
		})
	}
}

// fakeStore is an engine whose image store knows two images by name and id.
type fakeStore struct {
	engine.Engine
	images map[string]oci.ImageInfo
}

func (f *fakeStore) InspectImage(_ context.Context, ref string) (oci.ImageInfo, error) {
	if i, ok := f.images[ref]; ok {
		return i, nil
	}
	return oci.ImageInfo{}, oci.ErrImageNotFound
}

func (f *fakeStore) Platform() platform.Platform { return platform.MustParse("linux/arm64") }

func TestPinnedEngine(t *testing.T) {
	old := oci.ImageInfo{ID: "sha256:" + strings.Repeat("1", 64), Platform: platform.MustParse("linux/amd64")}
	moved := oci.ImageInfo{ID: "sha256:" + strings.Repeat("2", 64), Platform: platform.MustParse("linux/amd64")}
	store := &fakeStore{images: map[string]oci.ImageInfo{"base:1": moved, old.ID: old, moved.ID: moved}}
	eng := &pinnedEngine{Engine: store, pins: map[string]string{"base:1": old.ID}}
	got, err := eng.InspectImage(context.Background(), "base:1")
	if err != nil || got.ID != old.ID {
		t.Fatalf("pinned name gives %s (%v), want the locked %s", got.ID, err, old.ID)
	}
	if got, _ := eng.InspectImage(context.Background(), "other"); got.ID != "" {
		t.Fatalf("unpinned name gives %s", got.ID)
	}
	res, err := oci.NewResolver(eng)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := parseHash(old.ID)
	if _, err := res.ResolvePinned(context.Background(), "base:1", platform.MustParse("linux/amd64"), h); err != nil {
		t.Fatalf("pinned resolution: %v", err)
	}
	if p := eng.Platform(); p != platform.MustParse("linux/arm64") {
		t.Fatalf("pinned engine's platform %v, want the engine's linux/arm64", p)
	}
	if _, ok, err := eng.OverlayDirs(context.Background(), "c"); ok || err != nil {
		t.Fatalf("overlay dirs of an engine without them: ok=%v err=%v", ok, err)
	}
}

func TestSplitImage(t *testing.T) {
	tests := []struct{ in, name, digest string }{
		{"reg:5000/base:1@sha256:ab", "reg:5000/base:1", "sha256:ab"},
		{"sha256:ab", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		name, digest, ok := splitImage(tt.in)
		if name != tt.name || digest != tt.digest || ok != (tt.name != "") {
			t.Errorf("splitImage(%q) = %q %q %v", tt.in, name, digest, ok)
		}
	}
}
