//go:build integration

package integration

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/builder"
)

// TestBuildCacheRebuildStartsNothing: building an unchanged tree again starts no container and
// gives byte-identical artifacts; changing one package's file rebuilds it and its dependents
// only.
func TestBuildCacheRebuildStartsNothing(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	tree := t.TempDir()
	if err := os.CopyFS(tree, os.DirFS(luetFixtures("buildableseed"))); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	req := builder.Request{Trees: []string{tree}, Packages: []string{"test/d", "test/a"}}
	first := runBuild(t, &counting{Engine: d}, cache, req).must(t)
	eng := &counting{Engine: d}
	second := runBuild(t, eng, cache, req).must(t)
	if eng.count() != 0 || second.res.Containers != 0 {
		t.Fatalf("the unchanged rebuild started %d containers", eng.count())
	}
	for _, a := range second.res.Artifacts {
		if a.Source != builder.SourceCached {
			t.Errorf("%s came from %s, want cached", a.Package, a.Source)
		}
		b := first.artifact(t, a.Package)
		x, _ := os.ReadFile(a.Path)
		y, _ := os.ReadFile(b.Path)
		if string(x) != string(y) || a.Metadata.CacheKey != b.Metadata.CacheKey {
			t.Errorf("%s differs between the builds", a.Package)
		}
	}
	// c's directory changes: c and d rebuild, b and a (a sibling on b) come from the cache.
	if err := os.WriteFile(filepath.Join(tree, "c", "notes.txt"), []byte("new input\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	third := runBuild(t, &counting{Engine: d}, cache, req).must(t)
	want := map[string]builder.Source{"test/a@1.0": builder.SourceCached, "test/b@1.0": builder.SourceCached,
		"test/c@1.0": builder.SourceBuilt, "test/d@1.0": builder.SourceBuilt}
	for p, src := range want {
		if got := third.artifact(t, p).Source; got != src {
			t.Errorf("after editing c: %s is %s, want %s", p, got, src)
		}
	}
}

// TestBuildCacheMissingPackageImage: when a dependency's artifact is cached but its package
// image is gone from the engine, building a new dependent remakes the image (and only that).
func TestBuildCacheMissingPackageImage(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	tree := t.TempDir()
	if err := os.CopyFS(tree, os.DirFS(luetFixtures("buildableseed"))); err != nil {
		t.Fatal(err)
	}
	// A file of its own in b's directory gives this test keys (and engine tags) of its own.
	if err := os.WriteFile(filepath.Join(tree, "cat", "b", "unique"), []byte(t.Name()+time.Now().String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	first := runBuild(t, d, cache, builder.Request{Trees: []string{tree}, Packages: []string{"test/c"}}).must(t)
	c := first.artifact(t, "test/c@1.0")
	// The package images of b and c carry their keys; drop b's.
	bKey := first.artifact(t, "test/b@1.0").Metadata.CacheKey
	if err := d.RemoveImage(context.Background(), "flavor.local/pkg:"+bKey[len("sha256:"):]); err != nil {
		t.Fatal(err)
	}
	second := runBuild(t, &counting{Engine: d}, cache, builder.Request{Trees: []string{tree}, Packages: []string{"test/d"}}).must(t)
	if got := second.artifact(t, "test/c@1.0"); got.Source != builder.SourceCached || got.Metadata.CacheKey != c.Metadata.CacheKey {
		t.Errorf("c: %s %s", got.Source, got.Metadata.CacheKey)
	}
	wantFiles(t, second, "test/d@1.0", map[string]*string{"d": s("s\n"), "dd": s("dd\n")})
	var rebuilt []string
	for _, u := range second.events {
		if u.Stage == builder.StageImage {
			rebuilt = append(rebuilt, u.Package)
		}
	}
	// Nothing built on c in the first plan, so its image was never made; d needs it, and c's
	// needs b's, which is gone: both are made, from the cached artifacts' specs.
	if !sameStrings(sortedCopy(rebuilt), []string{"test/b@1.0", "test/c@1.0"}) {
		t.Errorf("package images made: %v; want test/b@1.0 and test/c@1.0", rebuilt)
	}
	if ok, _ := d.ImageExists(context.Background(), "flavor.local/pkg:"+bKey[len("sha256:"):]); !ok {
		t.Errorf("b's package image was not remade")
	}
}

// TestBuildCacheCorruptEntry: an artifact whose bytes no longer match its metadata is
// discarded and rebuilt.
func TestBuildCacheCorruptEntry(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	cache := t.TempDir()
	req := builder.Request{Trees: []string{luetFixtures("include")}, Packages: []string{"test/b"}}
	first := runBuild(t, d, cache, req).must(t)
	a := first.artifact(t, "test/b@1.0")
	h := a.Metadata.CacheKey[len("sha256:"):]
	cached := filepath.Join(cache, "artifacts", "sha256", h, a.Metadata.Artifact)
	if err := os.WriteFile(cached, []byte("not an artifact"), 0o644); err != nil {
		t.Fatal(err)
	}
	eng := &counting{Engine: d}
	second := runBuild(t, eng, cache, req).must(t)
	if got := second.artifact(t, "test/b@1.0"); got.Source != builder.SourceBuilt || eng.count() == 0 {
		t.Errorf("after corrupting the cache: source %s, %d containers; want a rebuild", got.Source, eng.count())
	}
	x, _ := os.ReadFile(cached)
	y, _ := os.ReadFile(a.Path)
	if string(x) != string(y) {
		t.Errorf("the rebuilt cache entry differs from the first build's artifact")
	}
}
