package specs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// pkgSpec describes a package for synthetic trees: build requires (and conflicts) go to
// build.yaml, runtime requires to definition.yaml. Refs are written "cat/name@selector".
type pkgSpec struct {
	id        string // cat/name@version
	image     bool
	build     []string
	runtime   []string
	conflicts []string
	provides  []string
	extra     string // more build.yaml
}

func refYAMLList(t testing.TB, key string, refs []string) string {
	if len(refs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(key + ":\n")
	for _, s := range refs {
		r, err := ParseRef(s)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "- category: %q\n  name: %q\n", r.Category, r.Name)
		if r.Version != "" {
			fmt.Fprintf(&b, "  version: %q\n", r.Version)
		}
	}
	return b.String()
}

func synthTree(t testing.TB, pkgs ...pkgSpec) *Tree {
	t.Helper()
	files := map[string]string{}
	for _, p := range pkgs {
		r, err := ParseRef(p.id)
		if err != nil {
			t.Fatal(err)
		}
		dir := r.Category + "/" + r.Name + "/" + r.Version
		files[dir+"/definition.yaml"] = fmt.Sprintf("name: %q\ncategory: %q\nversion: %q\n", r.Name, r.Category, r.Version) +
			refYAMLList(t, "requires", p.runtime) + refYAMLList(t, "provides", p.provides)
		build := refYAMLList(t, "requires", p.build) + refYAMLList(t, "conflicts", p.conflicts) + p.extra
		if p.image || len(p.build) == 0 {
			build += "image: busybox\n"
		}
		files[dir+"/build.yaml"] = build + "steps:\n- true\n"
	}
	tr, err := Load(context.Background(), []string{writeTree(t, files)})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestResolveBacktracks(t *testing.T) {
	// The newest b (2.0) needs c >= 2, but a pins c < 2: the resolver must fall back to b 1.0
	// instead of failing or picking an old c first.
	tr := synthTree(t,
		pkgSpec{id: "t/a@1.0", build: []string{"t/b@>=1", "t/c@<2"}},
		pkgSpec{id: "t/b@1.0", build: []string{"t/c@>=1"}},
		pkgSpec{id: "t/b@2.0", build: []string{"t/c@>=2"}},
		pkgSpec{id: "t/c@1.0"},
		pkgSpec{id: "t/c@1.5"},
		pkgSpec{id: "t/c@2.0"},
	)
	res := buildOrder(t, tr, "t/a")
	wantIDs(t, "order", res.Order(), "t/c@1.5", "t/b@1.0", "t/a@1.0")
}

func TestResolveNewestWhenFree(t *testing.T) {
	tr := synthTree(t,
		pkgSpec{id: "t/a@1.0", build: []string{"t/b", "t/c@>=1.0, <3"}},
		pkgSpec{id: "t/b@1.0"}, pkgSpec{id: "t/b@1.0+1"}, pkgSpec{id: "t/b@1.0~rc1"},
		pkgSpec{id: "t/c@1.0"}, pkgSpec{id: "t/c@2.9"}, pkgSpec{id: "t/c@3.0"},
	)
	wantIDs(t, "order", buildOrder(t, tr, "t/a").Order(), "t/b@1.0+1", "t/c@2.9", "t/a@1.0")
}

func TestResolveConflicts(t *testing.T) {
	// a needs b and c; the newest c conflicts with b, so the older c is chosen.
	tr := synthTree(t,
		pkgSpec{id: "t/a@1.0", build: []string{"t/b", "t/c"}},
		pkgSpec{id: "t/b@1.0"},
		pkgSpec{id: "t/c@1.0"},
		pkgSpec{id: "t/c@2.0", conflicts: []string{"t/b@>=1"}},
	)
	wantIDs(t, "order", buildOrder(t, tr, "t/a").Order(), "t/b@1.0", "t/c@1.0", "t/a@1.0")

	// a conflict with no way out is an error naming both sides
	tr = synthTree(t,
		pkgSpec{id: "t/a@1.0", build: []string{"t/b", "t/c"}},
		pkgSpec{id: "t/b@1.0", conflicts: []string{"t/c"}},
		pkgSpec{id: "t/c@1.0"},
	)
	_, err := tr.Resolve(context.Background(), mustRef(t, "t/a"))
	if !errors.Is(err, ErrUnsatisfiable) || !strings.Contains(err.Error(), "t/b@1.0 conflicts with t/c") {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveErrorsShowTheChain(t *testing.T) {
	tr := synthTree(t,
		pkgSpec{id: "t/a@1.0", build: []string{"t/b@>=2"}},
		pkgSpec{id: "t/b@2.0", build: []string{"t/c@>=3"}},
		pkgSpec{id: "t/c@1.0"}, pkgSpec{id: "t/c@2.0"},
		pkgSpec{id: "t/x@1.0", build: []string{"t/bogus"}},
		pkgSpec{id: "t/y@1.0", build: []string{"t/cc"}},
		pkgSpec{id: "t/cc2@1.0"},
	)
	tests := []struct {
		ref  string
		is   error
		want string
	}{
		{"t/a", ErrUnsatisfiable, `t/a@1.0 → t/b@>=2 → t/c@>=3: requirements cannot be satisfied: no version of t/c satisfies ">=3"; known versions: 1.0, 2.0`},
		{"t/x", ErrNotFound, `t/x@1.0 → t/bogus@>=0: package not found: no package t/bogus in the tree`},
		{"t/y", ErrNotFound, `(did you mean t/c?)`},
		{"t/nothing", ErrNotFound, "no package t/nothing"},
		{"t/c@>=5", ErrNotFound, `no version of t/c satisfies ">=5"; known versions: 1.0, 2.0`},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			_, err := tr.Resolve(context.Background(), mustRef(t, tt.ref))
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant %v containing %q", err, tt.is, tt.want)
			}
		})
	}
}

func TestResolveAlreadySelected(t *testing.T) {
	tr := synthTree(t,
		pkgSpec{id: "t/a@1.0", build: []string{"t/b", "t/c"}},
		pkgSpec{id: "t/b@1.0", build: []string{"t/d@1.0"}},
		pkgSpec{id: "t/c@1.0", build: []string{"t/d@2.0"}},
		pkgSpec{id: "t/d@1.0"}, pkgSpec{id: "t/d@2.0"},
	)
	_, err := tr.Resolve(context.Background(), mustRef(t, "t/a"))
	if !errors.Is(err, ErrUnsatisfiable) || !strings.Contains(err.Error(), "t/d@1.0 is already selected (required by t/a@1.0 → t/b@>=0 → t/d@1.0)") {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveCycles(t *testing.T) {
	tr := synthTree(t,
		pkgSpec{id: "t/a@1.0", build: []string{"t/b"}, runtime: []string{"t/b"}},
		pkgSpec{id: "t/b@1.0", build: []string{"t/a"}, image: true, runtime: []string{"t/a"}},
	)
	_, err := tr.Resolve(context.Background(), mustRef(t, "t/a"))
	if !errors.Is(err, ErrCycle) || !strings.Contains(err.Error(), "t/a@1.0 → t/b@1.0 → t/a@1.0") {
		t.Fatalf("err = %v", err)
	}
	// runtime cycles are allowed and broken in package order
	rt, err := tr.ResolveRuntime(context.Background(), mustRef(t, "t/b"))
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "runtime order", rt.Order(), "t/a@1.0", "t/b@1.0")
}

// A package its own build needs is the same cycle error as a two-package cycle, whether the build
// requires it, copies from it, or its joined final images reach it through runtime requires. At
// run time a package requiring itself is as harmless as a two-package runtime cycle.
func TestResolveSelfCycles(t *testing.T) {
	tests := []struct {
		name string
		pkgs []pkgSpec
	}{
		{"build requires itself", []pkgSpec{{id: "t/a@1.0", image: true, build: []string{"t/a"}}}},
		{"copies from itself", []pkgSpec{{id: "t/a@1.0", image: true, extra: "copy:\n- package: {category: t, name: a}\n  source: /x\n  destination: /y\n"}}},
		{"final images join itself", []pkgSpec{
			{id: "t/a@1.0", build: []string{"t/b"}, extra: "requires_final_images: true\n"},
			{id: "t/b@1.0", image: true, runtime: []string{"t/a"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := synthTree(t, tt.pkgs...)
			_, err := tr.Resolve(context.Background(), mustRef(t, "t/a"))
			if !errors.Is(err, ErrCycle) || !strings.Contains(err.Error(), "dependency cycle: t/a@1.0 → t/a@1.0") {
				t.Fatalf("err = %v; want the cycle t/a@1.0 → t/a@1.0", err)
			}
		})
	}
	tr := synthTree(t, pkgSpec{id: "t/a@1.0", image: true, runtime: []string{"t/a"}})
	rt, err := tr.ResolveRuntime(context.Background(), mustRef(t, "t/a"))
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "runtime order", rt.Order(), "t/a@1.0")
	if d := rt.Deps(rt.Order()[0]); len(d) != 0 {
		t.Errorf("runtime deps of a self-requiring package = %v; want none", d)
	}
}

func TestResolveProvides(t *testing.T) {
	tests := []struct {
		name    string
		provide string // version t/p provides v/virt at; "" for none given
		req     string
		want    []string
	}{
		{"exact provide meets a selector", "1.5", "v/virt@>=1", []string{"t/p@1.0", "t/a@1.0"}},
		{"exact provide too old: the real package", "0.5", "v/virt@>=1", []string{"v/virt@1.0", "t/a@1.0"}},
		{"selector provide meets an exact version", ">=2", "v/virt@3.0", []string{"t/p@1.0", "t/a@1.0"}},
		{"selector provide meets an overlapping selector", ">=2", "v/virt@<2.5", []string{"t/p@1.0", "t/a@1.0"}},
		{"selector provide disjoint: the real package", "<1", "v/virt@>=1", []string{"v/virt@1.0", "t/a@1.0"}},
		{"provide without a version", "", "v/virt@9", []string{"t/p@1.0", "t/a@1.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{
				"a/definition.yaml": "name: a\ncategory: t\nversion: \"1.0\"\n",
				"a/build.yaml":      refYAMLList(t, "requires", []string{tt.req}) + "steps: [x]\n",
				"p/definition.yaml": "name: p\ncategory: t\nversion: \"1.0\"\nprovides:\n- category: v\n  name: virt\n" + versionLine(tt.provide),
				"p/build.yaml":      "image: busybox\n",
				"v/definition.yaml": "name: virt\ncategory: v\nversion: \"1.0\"\n",
				"v/build.yaml":      "image: busybox\n",
			}
			tr := loadTree(t, writeTree(t, files))
			wantIDs(t, "order", buildOrder(t, tr, "t/a").Order(), tt.want...)
		})
	}
}

func versionLine(v string) string {
	if v == "" {
		return ""
	}
	return fmt.Sprintf("  version: %q\n", v)
}

func TestResolveBareNames(t *testing.T) {
	tr := synthTree(t,
		pkgSpec{id: "t/a@1.0", build: []string{"only"}},
		pkgSpec{id: "x/only@1.0"},
		pkgSpec{id: "x/twice@1.0"}, pkgSpec{id: "y/twice@1.0"},
	)
	wantIDs(t, "order", buildOrder(t, tr, "t/a").Order(), "x/only@1.0", "t/a@1.0")
	if p := mustLookup(t, tr, "only"); p.ID() != "x/only@1.0" {
		t.Fatalf("bare lookup = %s", p.ID())
	}
	if _, err := tr.Lookup(mustRef(t, "twice")); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "ambiguous") || !strings.Contains(err.Error(), "x/twice, y/twice") {
		t.Fatalf("ambiguous lookup: %v", err)
	}
}

func TestResolveSeveralTargetsAndLevels(t *testing.T) {
	tr := synthTree(t,
		pkgSpec{id: "t/base@1.0"},
		pkgSpec{id: "t/lib1@1.0", build: []string{"t/base"}},
		pkgSpec{id: "t/lib2@1.0", build: []string{"t/base"}},
		pkgSpec{id: "t/app1@1.0", build: []string{"t/lib1", "t/lib2"}},
		pkgSpec{id: "t/app2@1.0", build: []string{"t/lib2"}},
		pkgSpec{id: "t/tool@1.0"},
	)
	res := buildOrder(t, tr, "t/app2", "t/app1", "t/tool")
	wantIDs(t, "order", res.Order(), "t/base@1.0", "t/lib1@1.0", "t/lib2@1.0", "t/app1@1.0", "t/app2@1.0", "t/tool@1.0")
	want := [][]string{{"t/base@1.0", "t/tool@1.0"}, {"t/lib1@1.0", "t/lib2@1.0"}, {"t/app1@1.0", "t/app2@1.0"}}
	if got := levelIDs(res); !reflect.DeepEqual(got, want) {
		t.Fatalf("levels = %v, want %v", got, want)
	}
	app1 := mustLookup(t, tr, "t/app1")
	if res.Level(app1) != 2 || res.Level(mustLookup(t, tr, "t/base")) != 0 {
		t.Fatalf("levels of app1/base: %d %d", res.Level(app1), res.Level(mustLookup(t, tr, "t/base")))
	}
	wantIDs(t, "deps of app1", res.Deps(app1), "t/lib1@1.0", "t/lib2@1.0")
	wantIDs(t, "targets", res.Targets(), "t/app2@1.0", "t/app1@1.0", "t/tool@1.0")
	// runtime requires are not part of the build graph, and vice versa
	rt, err := tr.ResolveRuntime(context.Background(), mustRef(t, "t/app1"))
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "runtime closure", rt.Order(), "t/app1@1.0")
}

// backjumpTree: root needs a00..a19 (two versions each) and then z, which conflicts with
// a00@2.0. The search meets z last; plain backtracking would try every combination of
// a01..a19 (2^19) before changing a00.
func backjumpTree(t *testing.T) *Tree {
	var pkgs []pkgSpec
	var top []string
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("t/a%02d", i)
		top = append(top, name)
		pkgs = append(pkgs, pkgSpec{id: name + "@1.0"}, pkgSpec{id: name + "@2.0"})
	}
	top = append(top, "t/z")
	pkgs = append(pkgs, pkgSpec{id: "t/root@1.0", build: top}, pkgSpec{id: "t/z@1.0", conflicts: []string{"t/a00@2.0"}})
	return synthTree(t, pkgs...)
}

func TestResolveBackjumps(t *testing.T) {
	tr := backjumpTree(t)
	s := newSolver(context.Background(), tr, buildGraph)
	root := mustLookup(t, tr, "t/root")
	if err := s.run([]*Package{root}); err != nil {
		t.Fatal(err)
	}
	// Conflict-directed backjumping goes straight back to a00: only a00 loses its newest version.
	got := map[string]string{}
	for _, p := range s.selected {
		got[p.Name] = p.Version
	}
	for i := 0; i < 20; i++ {
		want := "2.0"
		if i == 0 {
			want = "1.0"
		}
		if v := got[fmt.Sprintf("a%02d", i)]; v != want {
			t.Fatalf("a%02d@%s selected, want %s (selection %v)", i, v, want, got)
		}
	}
	if s.attempts > 100 {
		t.Fatalf("%d attempts: the search did not jump back", s.attempts)
	}
}

func TestResolveGivesUp(t *testing.T) {
	tr := backjumpTree(t)
	s := newSolver(context.Background(), tr, buildGraph)
	s.budget = 30
	err := s.run([]*Package{mustLookup(t, tr, "t/root")})
	if !errors.Is(err, ErrUnsatisfiable) || !strings.Contains(err.Error(), "gave up after 30 attempts") || !strings.Contains(err.Error(), "t/z@1.0 conflicts with t/a00@2.0") {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveCancelled(t *testing.T) {
	tr := synthTree(t, pkgSpec{id: "t/a@1.0"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// a small resolution may finish before it looks at the context; it must not hang or lie
	res, err := tr.Resolve(ctx, mustRef(t, "t/a"))
	if err == nil && len(res.Order()) != 1 {
		t.Fatalf("order = %v", ids(res.Order()))
	}
	if _, err := tr.Resolve(context.Background()); err == nil {
		t.Fatal("resolving nothing succeeded")
	}
}

func TestTreeIsSafeForConcurrentUse(t *testing.T) {
	tr := loadFixture(t, "complex/selection")
	want := ids(buildOrder(t, tr, "sys-fs-5.4.2/vhba").Order())
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 20; i++ {
				res, err := tr.Resolve(context.Background(), Ref{Category: "sys-fs-5.4.2", Name: "vhba"})
				if err != nil {
					errs <- err
					return
				}
				if got := ids(res.Order()); !reflect.DeepEqual(got, want) {
					errs <- fmt.Errorf("order %v, want %v", got, want)
					return
				}
				if _, err := tr.ResolveRuntime(context.Background(), Ref{Category: "meta", Name: "sabayon-kernel"}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadLogs(t *testing.T) {
	var buf strings.Builder
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// buildable and buildableseed both define test/a, test/b and test/c; the same tree given
	// twice counts once
	seed := filepath.Join("testdata", "luet", "buildableseed")
	_, err := Load(context.Background(), []string{filepath.Join("testdata", "luet", "buildable"), seed, seed + "/"}, WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "the first wins") || !strings.Contains(buf.String(), "packages=4") {
		t.Fatalf("log = %s", buf.String())
	}
}
