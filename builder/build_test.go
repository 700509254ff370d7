package builder

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
	"github.com/flavor-dev/flavor/specs"
)

func mknodWhiteout(p string) error { return unix.Mknod(p, unix.S_IFCHR, 0) }

// fakeBuild runs Build against f with a fresh destination and the cache dir given.
func fakeBuild(ctx context.Context, t *testing.T, f *fakeEngine, cache, tree string, pkgs []string, opts ...Option) (*Result, []progress.Event, error) {
	t.Helper()
	var mu sync.Mutex
	var ups []progress.Event
	opts = append([]Option{WithCacheDir(cache), WithProgress(func(u progress.Event) {
		mu.Lock()
		ups = append(ups, u)
		mu.Unlock()
	})}, opts...)
	res, err := Build(ctx, f, Request{Trees: []string{tree}, Packages: pkgs, Destination: t.TempDir()}, opts...)
	return res, ups, err
}

// tarFiles reads an artifact's regular files and their contents.
func tarFiles(t *testing.T, p string) map[string]string {
	t.Helper()
	f, err := os.Open(p)
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
	out := map[string]string{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			out[hdr.Name] = string(b)
		}
	}
}

func artifactOf(t *testing.T, res *Result, pkg string) Artifact {
	t.Helper()
	for _, a := range res.Artifacts {
		if a.Package == pkg {
			return a
		}
	}
	t.Fatalf("no artifact of %s in %+v", pkg, res.Artifacts)
	return Artifact{}
}

func TestBuildChainOnFakeEngine(t *testing.T) {
	f := newFakeEngine(t)
	tree := fakeTree(t, map[string]string{
		"test/b": "image: busybox\nprelude:\n- write /prelude p\nsteps:\n- write /b b ; rm /etc/passwd\n",
		"test/c": "requires:\n- {category: test, name: b, version: '>=0'}\nsteps:\n- write /c c\n",
	})
	res, ups, err := fakeBuild(t.Context(), t, f, t.TempDir(), tree, []string{"test/c"})
	if err != nil {
		t.Fatal(err)
	}
	b := artifactOf(t, res, "test/b@1.0")
	if got := tarFiles(t, b.Path); len(got) != 1 || got["b"] != "b\n" {
		t.Errorf("b ships %v", got)
	}
	if strings.Join(b.Metadata.Removed, ",") != "etc/passwd" {
		t.Errorf("b removed %v", b.Metadata.Removed)
	}
	if got := tarFiles(t, artifactOf(t, res, "test/c@1.0").Path); len(got) != 1 || got["c"] != "c\n" {
		t.Errorf("c ships %v", got)
	}
	created, removed, live := f.counts()
	// b has a prelude: a builder container and a package container; c's steps run in its
	// builder container.
	if created != 3 || removed != 3 || live != 0 || res.Containers != 3 {
		t.Errorf("containers created %d removed %d live %d (result %d); want 3, 3, 0", created, removed, live, res.Containers)
	}
	if _, err := f.InspectImage(t.Context(), "flavor.local/pkg:"+b.Metadata.CacheKey[7:]); err != nil {
		t.Errorf("b's package image, which c builds on, is not tagged: %v", err)
	}
	c := artifactOf(t, res, "test/c@1.0")
	if _, err := f.InspectImage(t.Context(), "flavor.local/pkg:"+c.Metadata.CacheKey[7:]); err == nil {
		t.Errorf("c's package image was committed although nothing builds on it")
	}
	var stages []string
	for _, u := range ups {
		if u.Package == "test/b@1.0" && u.Stage != StageOutput {
			stages = append(stages, string(u.Stage))
		}
	}
	if got := strings.Join(stages, " "); got != "build prelude step extract artifact done" {
		t.Errorf("b's updates: %s", got)
	}
	if ups[0].Stage != StagePlan || ups[0].Total != 2 {
		t.Errorf("first update %+v; want the plan of 2 packages", ups[0])
	}
}

func TestBuildCachedRebuildOnFakeEngine(t *testing.T) {
	f := newFakeEngine(t)
	tree := fakeTree(t, map[string]string{"test/a": "image: busybox\nsteps:\n- write /a a\n"})
	cache := t.TempDir()
	first, _, err := fakeBuild(t.Context(), t, f, cache, tree, []string{"test/a"})
	if err != nil {
		t.Fatal(err)
	}
	before, _, _ := f.counts()
	second, _, err := fakeBuild(t.Context(), t, f, cache, tree, []string{"test/a"})
	if err != nil {
		t.Fatal(err)
	}
	after, _, _ := f.counts()
	if after != before || second.Containers != 0 {
		t.Errorf("the cached rebuild started %d containers", after-before)
	}
	a, b := artifactOf(t, first, "test/a@1.0"), artifactOf(t, second, "test/a@1.0")
	x, _ := os.ReadFile(a.Path)
	y, _ := os.ReadFile(b.Path)
	if b.Source != SourceCached || string(x) != string(y) {
		t.Errorf("second build: source %s, same bytes %v", b.Source, string(x) == string(y))
	}
}

func TestBuildParallelismIsBounded(t *testing.T) {
	for _, jobs := range []int{1, 2, 3} {
		t.Run(strings.Repeat("j", jobs), func(t *testing.T) {
			f := newFakeEngine(t)
			pkgs := map[string]string{}
			for _, n := range []string{"a", "b", "c", "d"} {
				pkgs["test/"+n] = "image: busybox\nsteps:\n- gate ; write /" + n + " " + n + "\n"
			}
			tree := fakeTree(t, pkgs)
			f.started, f.release = make(chan string), make(chan struct{})
			done := make(chan error, 1)
			go func() {
				_, _, err := fakeBuild(t.Context(), t, f, t.TempDir(), tree, []string{"test/a", "test/b", "test/c", "test/d"}, WithJobs(jobs))
				done <- err
			}()
			// Let `jobs` steps start, then release them one at a time; the rest follow.
			for range jobs {
				<-f.started
			}
			go func() {
				for range f.started {
				}
			}()
			close(f.release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			close(f.started)
			if f.maxRunning != jobs {
				t.Errorf("at most %d steps ran at once; want exactly %d (--jobs)", f.maxRunning, jobs)
			}
		})
	}
}

func TestBuildCancelRemovesContainers(t *testing.T) {
	f := newFakeEngine(t)
	tree := fakeTree(t, map[string]string{"test/a": "image: busybox\nsteps:\n- gate ; block\n"})
	f.started, f.release = make(chan string, 1), make(chan struct{})
	close(f.release)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, _, err := fakeBuild(ctx, t, f, t.TempDir(), tree, []string{"test/a"})
		done <- err
	}()
	<-f.started
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled build: %v", err)
	}
	if created, removed, live := f.counts(); created == 0 || live != 0 || removed != created {
		t.Errorf("after cancel: created %d removed %d live %d", created, removed, live)
	}
}

func TestBuildFailureStopsDependents(t *testing.T) {
	f := newFakeEngine(t)
	tree := fakeTree(t, map[string]string{
		"test/b": "image: busybox\nsteps:\n- say one ; fail 7\n- write /never x\n",
		"test/c": "requires:\n- {category: test, name: b, version: '>=0'}\nsteps:\n- write /c c\n",
	})
	res, ups, err := fakeBuild(t.Context(), t, f, t.TempDir(), tree, []string{"test/c"})
	var se *StepError
	if !errors.As(err, &se) || se.Package != "test/b@1.0" || se.ExitCode != 7 || se.Index != 1 || se.Count != 2 {
		t.Fatalf("error %v (%+v)", err, se)
	}
	if strings.Join(se.Output, "|") != "one|failing" {
		t.Errorf("tail %q", se.Output)
	}
	for _, u := range ups {
		if u.Package == "test/c@1.0" && u.Stage == StageBuild {
			t.Errorf("c started building after b failed")
		}
	}
	if _, _, live := f.counts(); live != 0 || res == nil {
		t.Errorf("%d containers left", live)
	}
}

func TestBuildVirtualsStartNothing(t *testing.T) {
	f := newFakeEngine(t)
	tree := fakeTree(t, map[string]string{
		"test/v":    "",
		"test/seed": "image: busybox\nprelude:\n- write /p p\n",
		"test/on":   "requires:\n- {category: test, name: seed, version: '>=0'}\n",
	})
	res, _, err := fakeBuild(t.Context(), t, f, t.TempDir(), tree, []string{"test/v", "test/on"})
	if err != nil {
		t.Fatal(err)
	}
	if created, _, _ := f.counts(); created != 0 {
		t.Errorf("virtual and seed packages started %d containers", created)
	}
	for _, a := range res.Artifacts {
		if len(tarFiles(t, a.Path)) != 0 || a.Metadata.Strategy != "empty" {
			t.Errorf("%s is not empty", a.Package)
		}
	}
}

func TestBuildSeedImageMadeForDependent(t *testing.T) {
	f := newFakeEngine(t)
	tree := fakeTree(t, map[string]string{
		"test/seed": "image: busybox\nprelude:\n- write /tool t\n",
		"test/app":  "requires:\n- {category: test, name: seed, version: '>=0'}\nsteps:\n- write /app a\n",
	})
	res, _, err := fakeBuild(t.Context(), t, f, t.TempDir(), tree, []string{"test/app"})
	if err != nil {
		t.Fatal(err)
	}
	if got := tarFiles(t, artifactOf(t, res, "test/app@1.0").Path); len(got) != 1 || got["app"] != "a\n" {
		t.Errorf("app ships %v; the seed's prelude output must not be in it", got)
	}
	// seed: one builder container committed as its package image; app: one container.
	if created, _, live := f.counts(); created != 2 || live != 0 {
		t.Errorf("created %d live %d; want 2 and 0", created, live)
	}
}

func TestBuildEmulationCheckedBeforeContainers(t *testing.T) {
	f := newFakeEngine(t)
	f.noEmulate = true
	arm := platform.MustParse("linux/arm64")
	f.images["busybox-arm"] = &fakeImage{id: fakeID("arm"), layers: f.images["busybox"].layers, platform: arm}
	tree := fakeTree(t, map[string]string{"test/a": "image: busybox-arm\nsteps:\n- write /a a\n"})
	_, err := Build(t.Context(), f, Request{Trees: []string{tree}, Packages: []string{"test/a"}, Destination: t.TempDir(),
		Platforms: []platform.Platform{arm}}, WithCacheDir(t.TempDir()))
	if !errors.Is(err, engine.ErrNoEmulation) || !strings.Contains(err.Error(), "building for linux/arm64") {
		t.Fatalf("error %v", err)
	}
	if created, _, _ := f.counts(); created != 0 {
		t.Errorf("%d containers started before the emulation check failed", created)
	}
}

func TestBuildRemovesStaleFirst(t *testing.T) {
	f := newFakeEngine(t)
	f.stale = []string{"dead1", "dead2"}
	tree := fakeTree(t, map[string]string{"test/v": ""})
	res, _, err := fakeBuild(t.Context(), t, f, t.TempDir(), tree, []string{"test/v"})
	if err != nil || strings.Join(res.Removed, ",") != "dead1,dead2" {
		t.Fatalf("removed %v, err %v", res.Removed, err)
	}
}

func TestBuildSkipsTargetsOfOtherPlatforms(t *testing.T) {
	f := newFakeEngine(t)
	tree := fakeTree(t, map[string]string{"test/only": "platforms: [linux/arm64]\nimage: busybox\nsteps:\n- write /x x\n"})
	res, _, err := fakeBuild(t.Context(), t, f, t.TempDir(), tree, []string{"test/only"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Artifacts) != 0 || strings.Join(res.Skipped, ",") != "test/only@1.0 for linux/amd64" {
		t.Errorf("artifacts %v skipped %v", res.Artifacts, res.Skipped)
	}
}

func TestBuildRequestErrors(t *testing.T) {
	f := newFakeEngine(t)
	cases := []struct {
		name string
		req  Request
		opts []Option
		want string
	}{
		{"no destination", Request{Packages: []string{"a"}}, nil, "no destination"},
		{"no packages", Request{Destination: t.TempDir()}, nil, "no packages given"},
		{"bad jobs", Request{Packages: []string{"a"}, Destination: t.TempDir()}, []Option{WithJobs(0)}, "WithJobs: 0 jobs"},
		{"bad push", Request{Packages: []string{"a"}, Destination: t.TempDir()}, []Option{WithPush("reg/x:tag@sha256:1")}, "WithPush"},
		{"unknown package", Request{Trees: []string{fakeTree(t, map[string]string{"test/a": ""})}, Packages: []string{"test/nope"}, Destination: t.TempDir()}, nil, "test/nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(t.Context(), f, c.req, append([]Option{WithCacheDir(t.TempDir())}, c.opts...)...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v; want one saying %q", err, c.want)
			}
		})
	}
}

func TestChainRootRule(t *testing.T) {
	tree := fakeTree(t, map[string]string{
		"test/img":  "image: busybox\nsteps:\n- write /i i\n",
		"test/img2": "image: busybox\nsteps:\n- write /j j\n",
		"test/virt": "",
		"test/p":    "requires:\n- {category: test, name: img, version: '>=0'}\n- {category: test, name: img2, version: '>=0'}\n- {category: test, name: virt, version: '>=0'}\nsteps:\n- write /p p\n",
		"test/q":    "requires:\n- {category: test, name: img2, version: '>=0'}\n- {category: test, name: img, version: '>=0'}\nsteps:\n- write /q q\n",
	})
	tr, err := specs.Load(t.Context(), []string{tree})
	if err != nil {
		t.Fatal(err)
	}
	res, err := tr.Resolve(t.Context(), specs.Ref{Category: "test", Name: "p"}, specs.Ref{Category: "test", Name: "q"})
	if err != nil {
		t.Fatal(err)
	}
	pl := &plan{tree: tr, res: res, nodes: map[*specs.Package]*node{}}
	for _, p := range res.Order() {
		n := &node{pkg: p}
		pl.nodes[p], pl.order = n, append(pl.order, n)
	}
	got := map[string]string{}
	for _, n := range pl.order {
		if n.pkg.Spec.Image == "" && len(n.pkg.Spec.Requires) > 0 {
			n.root = chainRoot(pl, n)
			got[n.pkg.Name] = n.root.pkg.Name
		}
	}
	// p: the last require with a root (virt has none); q: its last require.
	if got["p"] != "img2" || got["q"] != "img" {
		t.Errorf("chain roots %v; want p→img2, q→img", got)
	}
}

func TestArtifactNames(t *testing.T) {
	tree := fakeTree(t, map[string]string{"app/x": "image: busybox\n"})
	tr, err := specs.Load(t.Context(), []string{tree})
	if err != nil {
		t.Fatal(err)
	}
	p := tr.Packages()[0]
	cases := map[string]string{
		"linux/amd64":  "x-app-1.0-linux-amd64.package.tar.zst",
		"linux/arm/v7": "x-app-1.0-linux-arm-v7.package.tar.zst",
	}
	for plat, want := range cases {
		if got := ArtifactName(p, platform.MustParse(plat)); got != want {
			t.Errorf("%s: %s, want %s", plat, got, want)
		}
	}
	if got := MetadataName(p, platform.MustParse("linux/arm64")); got != "x-app-1.0-linux-arm64.metadata.json" {
		t.Errorf("metadata name %s", got)
	}
	if got := fileFlavor(map[string]bool{"ssl": false, "debug": true, "x-y": false}); got != "debug,-ssl,-x-y" {
		t.Errorf("file flavor %s", got)
	}
}

func TestHasShell(t *testing.T) {
	cases := []struct {
		name  string
		setup func(root string)
		want  bool
	}{
		{"busybox link", func(r string) {
			os.MkdirAll(filepath.Join(r, "bin"), 0o755)
			os.WriteFile(filepath.Join(r, "bin", "busybox"), []byte("x"), 0o755)
			os.Symlink("/bin/busybox", filepath.Join(r, "bin", "sh"))
		}, true},
		{"usr merge", func(r string) {
			os.MkdirAll(filepath.Join(r, "usr", "bin"), 0o755)
			os.WriteFile(filepath.Join(r, "usr", "bin", "dash"), []byte("x"), 0o755)
			os.Symlink("dash", filepath.Join(r, "usr", "bin", "sh"))
			os.Symlink("usr/bin", filepath.Join(r, "bin"))
		}, true},
		{"escape to the host", func(r string) {
			os.Symlink("/bin", filepath.Join(r, "bin")) // the host's /bin/sh must not count
		}, false},
		{"not executable", func(r string) {
			os.MkdirAll(filepath.Join(r, "bin"), 0o755)
			os.WriteFile(filepath.Join(r, "bin", "sh"), []byte("x"), 0o644)
		}, false},
		{"loop", func(r string) {
			os.MkdirAll(filepath.Join(r, "bin"), 0o755)
			os.Symlink("/bin/sh", filepath.Join(r, "bin", "sh"))
		}, false},
		{"empty", func(string) {}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			c.setup(root)
			if got := hasShell(root); got != c.want {
				t.Errorf("hasShell = %v, want %v", got, c.want)
			}
		})
	}
}

// TestLayersShell: /bin/sh is looked up through a stack of layers as their merge shows it: a
// link in one layer to a file in another counts, a layer's removal hides what is below it,
// and a later layer brings it back.
func TestLayersShell(t *testing.T) {
	busybox := func(t *testing.T) string {
		d := t.TempDir()
		os.MkdirAll(filepath.Join(d, "bin"), 0o755)
		os.WriteFile(filepath.Join(d, "bin", "busybox"), []byte("x"), 0o755)
		return d
	}
	link := func(t *testing.T) string {
		d := t.TempDir()
		os.MkdirAll(filepath.Join(d, "bin"), 0o755)
		os.Symlink("busybox", filepath.Join(d, "bin", "sh"))
		return d
	}
	empty := func(t *testing.T) string { return t.TempDir() }
	cases := []struct {
		name   string
		layers func(t *testing.T) []engine.RootLayer
		want   bool
	}{
		{"link over its target", func(t *testing.T) []engine.RootLayer {
			return []engine.RootLayer{{Dir: busybox(t)}, {Dir: link(t)}}
		}, true},
		{"link alone", func(t *testing.T) []engine.RootLayer { return []engine.RootLayer{{Dir: link(t)}} }, false},
		{"target removed", func(t *testing.T) []engine.RootLayer {
			return []engine.RootLayer{{Dir: busybox(t)}, {Dir: link(t), Remove: []string{"bin/busybox"}}}
		}, false},
		{"directory removed", func(t *testing.T) []engine.RootLayer {
			return []engine.RootLayer{{Dir: busybox(t)}, {Dir: link(t)}, {Dir: empty(t), Remove: []string{"/bin"}}}
		}, false},
		{"brought back", func(t *testing.T) []engine.RootLayer {
			return []engine.RootLayer{{Dir: link(t)}, {Dir: empty(t), Remove: []string{"/bin"}}, {Dir: busybox(t)}, {Dir: link(t)}}
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := hasShellIn(layersFind(c.layers(t))); got != c.want {
				t.Errorf("hasShellIn = %v, want %v", got, c.want)
			}
		})
	}
}

func TestBuildAllWithSubpackages(t *testing.T) {
	f := newFakeEngine(t)
	tree := fakeTree(t, map[string]string{
		"test/a": "image: busybox\nunpack: true\nsteps:\n- write /opt/tool t ; rm /etc/passwd\n" +
			"subpackages:\n- {name: sub, category: test, includes: [^/opt]}\n",
		"test/v": "",
	})
	res, err := Build(t.Context(), f, Request{Trees: []string{tree}, All: true, Destination: t.TempDir()}, WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range res.Artifacts {
		got = append(got, a.Package)
	}
	if strings.Join(got, " ") != "test/a@1.0 test/sub@1.0 test/v@1.0" {
		t.Errorf("--all built %v", got)
	}
	// unpack: the whole filesystem (busybox's bin/sh, tmp, etc, minus the deleted passwd, plus
	// the step's file), without /luetbuild.
	if files := tarFiles(t, artifactOf(t, res, "test/a@1.0").Path); len(files) != 2 || files["opt/tool"] != "t\n" || files["bin/sh"] == "" {
		t.Errorf("a ships files %v", files)
	}
	sub := artifactOf(t, res, "test/sub@1.0")
	if files := tarFiles(t, sub.Path); len(files) != 1 || files["opt/tool"] != "t\n" {
		t.Errorf("sub ships %v", files)
	}
	if sub.Metadata.Parent != "test/a@1.0" || sub.Metadata.Strategy != "carved" || sub.Source != SourceBuilt {
		t.Errorf("sub metadata %+v", sub.Metadata)
	}
	if created, _, _ := f.counts(); created != 1 {
		t.Errorf("unpack started %d containers, want 1", created)
	}
}

// TestJoinRootWithoutShell follows Luet's join fixture: a requires_final_images package with
// nothing to run (no prelude, no steps) builds from a joined root that has no /bin/sh, its
// containers never started; one with steps is refused naming the missing shell.
func TestJoinRootWithoutShell(t *testing.T) {
	f := newFakeEngine(t)
	tree := fakeTree(t, map[string]string{
		"test/a": "image: busybox\nsteps:\n- write /test3 t3\n",
		"test/b": "image: busybox\nsteps:\n- write /test4 t4\n",
		"test/c": "requires:\n- {category: test, name: a, version: '>=0'}\n- {category: test, name: b, version: '>=0'}\n" +
			"requires_final_images: true\nunpack: true\nenv:\n- X=1\n",
		"test/d": "requires:\n- {category: test, name: a, version: '>=0'}\nrequires_final_images: true\nsteps:\n- write /d d\n",
	})
	res, _, err := fakeBuild(t.Context(), t, f, t.TempDir(), tree, []string{"test/c"})
	if err != nil {
		t.Fatal(err)
	}
	if files := tarFiles(t, artifactOf(t, res, "test/c@1.0").Path); len(files) != 2 || files["test3"] != "t3\n" || files["test4"] != "t4\n" {
		t.Errorf("c ships %v, want test3 and test4", files)
	}
	_, _, err = fakeBuild(t.Context(), t, f, t.TempDir(), tree, []string{"test/d"})
	if !errors.Is(err, ErrNoShell) || !strings.Contains(err.Error(), "test/d@1.0") {
		t.Fatalf("d: err = %v, want %v naming test/d", err, ErrNoShell)
	}
}
