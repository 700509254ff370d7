package lock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/specs"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// writeFiles writes files (path → content) under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testTree is a small tree: apps/hello (flag shout, requires base/rt), base/rt, and a second
// version of hello.
var testTree = map[string]string{
	"tree/apps/hello/definition.yaml":  "name: hello\ncategory: apps\nversion: \"1.0\"\nrequires:\n- {category: base, name: rt}\nflags: {shout: false}\n",
	"tree/apps/hello/build.yaml":       "image: base:{{ .Platform.Arch }}\nsteps: [\"echo hi > /hello\"]\n",
	"tree/apps/hello2/definition.yaml": "name: hello\ncategory: apps\nversion: \"1.1\"\nrequires:\n- {category: base, name: rt}\nflags: {shout: false}\n",
	"tree/apps/hello2/build.yaml":      "image: base:{{ .Platform.Arch }}\nsteps: [\"echo hi > /hello\"]\n",
	"tree/base/rt/definition.yaml":     "name: rt\ncategory: base\nversion: \"2\"\n",
	"tree/base/rt/build.yaml":          "image: base:{{ .Platform.Arch }}\nsteps: [\"echo rt > /rt\"]\n",
}

const manifestHead = `schema-version = "1"
[package]
name = "x"
version = "1"
[execution]
command = "{workenv}/hello"
`

// setup writes the tree plus files, and a flavor.toml of manifestHead + body, and loads it.
func setup(t testing.TB, body string, files map[string]string) *manifest.Manifest {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, testTree)
	writeFiles(t, dir, files)
	writeFiles(t, dir, map[string]string{"flavor.toml": manifestHead + body})
	m, err := manifest.Load(context.Background(), filepath.Join(dir, "flavor.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const twoSystems = `[options]
systems = ["linux/amd64", "linux/arm64"]
trees = ["tree"]
`

func TestPlanChoosesVersionVariantAndClosure(t *testing.T) {
	tests := []struct {
		name, install string
		version, flav string
		closure       []string
	}{
		{"newest version, default variant", "hello.pkg-path = \"apps/hello\"\n", "1.1", "~!shout is: x86_64", []string{"base/rt@2", "apps/hello@1.1"}},
		{"version selector", "hello.pkg-path = \"apps/hello\"\nhello.version = \"<1.1\"\n", "1.0", "~!shout is: x86_64", nil},
		{"flavor picks the loud variant", "hello.pkg-path = \"apps/hello\"\nhello.flavor = \"~shout\"\n", "1.1", "shout is: x86_64", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := setup(t, twoSystems+"[install]\n"+tt.install, nil)
			p, err := NewPlan(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Systems(); len(got) != 2 || got[0] != "linux/amd64" || got[1] != "linux/arm64" {
				t.Fatalf("systems %v", got)
			}
			sp := p.plans[0]
			if len(sp.entries) != 1 {
				t.Fatalf("%d entries", len(sp.entries))
			}
			ep := sp.entries[0]
			if ep.pkg.Version != tt.version || ep.self.v.flavor != tt.flav || ep.reused {
				t.Fatalf("resolved %s %q (reused %v), want %s %q", ep.pkg.ID(), ep.self.v.flavor, ep.reused, tt.version, tt.flav)
			}
			if arm := p.plans[1].entries[0].self.v.flavor; !strings.HasSuffix(arm, "is: aarch64") {
				t.Fatalf("arm64 flavor %q", arm)
			}
			if tt.closure != nil {
				var ids []string
				for _, n := range ep.closure {
					ids = append(ids, n.pkg.ID())
				}
				if strings.Join(ids, " ") != strings.Join(tt.closure, " ") {
					t.Fatalf("closure %v, want %v", ids, tt.closure)
				}
			}
			if len(p.changed) != 2 || p.changed[0].Why != "not in the lock" {
				t.Fatalf("changes %+v", p.changed)
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name, install string
		files         map[string]string
		is            error
		msg, fix      string
	}{
		{"missing package", "hello.pkg-path = \"apps/helo\"\n", nil, specs.ErrNotFound,
			"[install] hello for linux/amd64, linux/arm64: looking up apps/helo: package not found: no package apps/helo in the tree (did you mean apps/hello?)",
			"change hello.pkg-path in"},
		{"unsatisfiable version", "hello.pkg-path = \"apps/hello\"\nhello.version = \">=3\"\n", nil, specs.ErrNotFound,
			`no version of apps/hello satisfies ">=3"; known versions: 1.0, 1.1`, "change hello.version in"},
		{"no variant", "hello.pkg-path = \"apps/hello\"\nhello.flavor = \"shout\"\n",
			map[string]string{"tree/apps/hello2/definition.yaml": "name: hello\ncategory: apps\nversion: \"1.1\"\nflags: {shout: false}\nvariants: [\"!shout\"]\n"},
			ErrNoVariant, `no variant of apps/hello@1.1 satisfies the requested flavor "shout is: x86_64"; its variants:
    "~!shout is: x86_64": it has "~!shout", the requested flavor has "shout"`, "list such a variant under `variants:`"},
		{"unsupported system", "hello.pkg-path = \"apps/hello\"\n",
			map[string]string{"tree/base/rt/build.yaml": "image: b\nsteps: [x]\nplatforms: [linux/amd64]\n"},
			ErrUnsupportedSystem, "[install] hello for linux/arm64: package does not build for the system: base/rt@2 (a runtime dependency of apps/hello@1.1) builds only for linux/amd64",
			"remove linux/arm64 from options.systems"},
		{"runtime dependency missing", "hello.pkg-path = \"apps/hello\"\n",
			map[string]string{"tree/base/rt/definition.yaml": "name: rt2\ncategory: base\nversion: \"2\"\n"},
			specs.ErrNotFound, "resolving the runtime dependencies of apps/hello@1.1", "fix the requires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := setup(t, twoSystems+"[install]\n"+tt.install, tt.files)
			_, err := NewPlan(context.Background(), m)
			var ee *EntryError
			if !errors.As(err, &ee) || !errors.Is(err, tt.is) {
				t.Fatalf("error %v; want an *EntryError wrapping %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(ee.Fix, tt.fix) || !strings.Contains(err.Error(), m.File()) {
				t.Fatalf("error:\n%v\nwant it to say %q, the manifest, and a fix with %q", err, tt.msg, tt.fix)
			}
		})
	}
}

func TestPlanReportsEveryEntry(t *testing.T) {
	m := setup(t, twoSystems+"[install]\na.pkg-path = \"apps/nope\"\nb.pkg-path = \"apps/hello\"\nb.version = \"9\"\n", nil)
	_, err := NewPlan(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "[install] a for") || !strings.Contains(err.Error(), "[install] b for") {
		t.Fatalf("error %v; want both entries named", err)
	}
}

func TestPlanOptions(t *testing.T) {
	m := setup(t, twoSystems+"[install]\nhello.pkg-path = \"apps/hello\"\n", nil)
	if _, err := NewPlan(context.Background(), m, WithUpdate("nope")); !errors.Is(err, ErrUnknownEntry) || !strings.Contains(err.Error(), "the entries are hello") {
		t.Fatalf("unknown update id: %v", err)
	}
	if _, err := NewPlan(context.Background(), m, WithFrozen()); !errors.Is(err, manifest.ErrNoLock) {
		t.Fatalf("frozen without a lock: %v", err)
	}
	if _, err := NewPlan(context.Background(), m, WithSystems("linux/riscv64")); err == nil {
		t.Fatal("a system without a launcher was accepted")
	}
	p, err := NewPlan(context.Background(), m, WithSystems("aarch64-linux"))
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Systems(); len(s) != 1 || s[0] != "linux/arm64" {
		t.Fatalf("systems %v", s)
	}
	if _, err := p.Build(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "no container engine") {
		t.Fatalf("build without an engine: %v", err)
	}
}

// lockFor makes the lock a build of p would give, from the plan alone (artifact fields made up).
func lockFor(p *Plan) *manifest.Lock {
	l := &manifest.Lock{LockfileVersion: manifest.LockfileVersion, Launchers: map[string]string{}}
	for _, sp := range p.plans {
		for _, ep := range sp.entries {
			l.Packages = append(l.Packages, manifest.LockedPackage{
				InstallID: ep.in.ID, System: sp.system, Package: ep.in.PkgPath, Version: ep.pkg.Version,
				Flavor: ep.self.v.flavor, PkgGroup: ep.in.PkgGroup, SpecDigest: ep.digest,
				BaseImage: "base:x@sha256:" + strings.Repeat("a", 64), VersionSelector: ep.in.Version,
				RequestedFlavor: ep.req.Key(),
			})
		}
	}
	return l
}

func TestPlanKeepsLockedEntries(t *testing.T) {
	body := twoSystems + "[install]\nhello.pkg-path = \"apps/hello\"\nhello.version = \"<1.1\"\n"
	m := setup(t, body, nil)
	first, err := NewPlan(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	l := lockFor(first)
	// A newer version in range would be chosen afresh; the locked one stays.
	writeFiles(t, m.Dir(), map[string]string{"flavor.toml": manifestHead + twoSystems + "[install]\nhello.pkg-path = \"apps/hello\"\nhello.version = \"<1.1\"\n"})
	again, err := NewPlan(context.Background(), m, WithLock(l))
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range again.plans {
		if ep := sp.entries[0]; !ep.reused || ep.pkg.Version != "1.0" {
			t.Fatalf("%s: reused %v version %s", sp.system, ep.reused, ep.pkg.Version)
		}
	}
	if len(again.changed) != 0 {
		t.Fatalf("changes %+v", again.changed)
	}
	if _, err := NewPlan(context.Background(), m, WithLock(l), WithFrozen()); err != nil {
		t.Fatalf("frozen with a standing lock: %v", err)
	}
	l.Launchers["linux/amd64"] = "sha256:locked"
	for digest, want := range map[string]string{"sha256:locked": "records no launcher for linux/arm64", "sha256:other": "records launcher sha256:locked for linux/amd64, and this flavor packs sha256:other"} {
		_, err := NewPlan(context.Background(), m, WithLock(l), WithFrozen(), WithLauncherDigest("linux/amd64", digest), WithLauncherDigest("linux/arm64", "sha256:a"))
		if !errors.Is(err, manifest.ErrStaleLock) || !strings.Contains(err.Error(), want) {
			t.Fatalf("frozen, launcher %s: %v; want %q", digest, err, want)
		}
	}
	delete(l.Launchers, "linux/amd64")
	upd, err := NewPlan(context.Background(), m, WithLock(l), WithUpdate("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if len(upd.changed) != 2 || upd.changed[0].Why != "--update" || upd.plans[0].entries[0].reused {
		t.Fatalf("--update: %+v", upd.changed)
	}

	// Editing a runtime dependency's package directory makes the entry stale.
	writeFiles(t, m.Dir(), map[string]string{"tree/base/rt/extra.txt": "new"})
	stale, err := NewPlan(context.Background(), m, WithLock(l))
	if err != nil {
		t.Fatal(err)
	}
	if len(stale.changed) != 2 || !strings.Contains(stale.changed[0].Why, "spec apps/hello 1.0 changed") {
		t.Fatalf("changes after editing the runtime dependency: %+v", stale.changed)
	}
	_, err = NewPlan(context.Background(), m, WithLock(l), WithFrozen())
	var se *manifest.StaleError
	if !errors.As(err, &se) || se.InstallID != "hello" || !strings.Contains(err.Error(), `flavor lock --update hello`) {
		t.Fatalf("frozen with a stale lock: %v", err)
	}
}

func TestPlanLockedEntryRemovedFromTrees(t *testing.T) {
	m := setup(t, twoSystems+"[install]\nhello.pkg-path = \"apps/hello\"\nhello.version = \"<1.1\"\n", nil)
	first, err := NewPlan(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	l := lockFor(first)
	if err := os.RemoveAll(filepath.Join(m.Dir(), "tree", "apps", "hello")); err != nil {
		t.Fatal(err)
	}
	_, err = NewPlan(context.Background(), m, WithLock(l), WithFrozen())
	if !errors.Is(err, manifest.ErrStaleLock) || !strings.Contains(err.Error(), "no longer in the trees") || !strings.Contains(err.Error(), "no longer resolves") {
		t.Fatalf("frozen, locked spec gone: %v", err)
	}
	// Not frozen: the entry is resolved again, and the version selector now finds nothing.
	_, err = NewPlan(context.Background(), m, WithLock(l))
	if !errors.Is(err, specs.ErrNotFound) {
		t.Fatalf("locked spec gone: %v", err)
	}
}
