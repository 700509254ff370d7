package launcher

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
)

// writeTree creates files (content = path) and directories (names ending in "/") under root.
func writeTree(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(root, filepath.FromSlash(n))
		if n[len(n)-1] == '/' {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// listTree returns every path under root ("dir/" for directories) with file contents.
func listTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case fi.IsDir():
			out[rel+"/"] = ""
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[rel] = "-> " + l
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMergeAndUnplace(t *testing.T) {
	dst, src := t.TempDir(), t.TempDir()
	writeTree(t, dst, "bin/keep", "bin/app", "lib/", "conf")
	writeTree(t, src, "bin/app", "bin/new", "share/doc/readme", "conf/inner")
	before := listTree(t, dst)
	ps, err := merge(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	got := listTree(t, dst)
	want := map[string]string{"bin/": "", "bin/keep": "bin/keep", "bin/app": "bin/app", "bin/new": "bin/new",
		"lib/": "", "share/": "", "share/doc/": "", "share/doc/readme": "share/doc/readme",
		"conf/": "", "conf/inner": "conf/inner"}
	if !equalMaps(got, want) {
		t.Fatalf("merged tree = %v, want %v", got, want)
	}
	var rels []string
	for _, p := range ps {
		rels = append(rels, p.rel)
	}
	sort.Strings(rels)
	if len(rels) != 4 || rels[0] != filepath.FromSlash("bin/app") || rels[1] != filepath.FromSlash("bin/new") || rels[2] != "conf" || rels[3] != "share" {
		t.Fatalf("placed = %v", rels)
	}
	if err := unplace(dst, ps); err != nil {
		t.Fatal(err)
	}
	got = listTree(t, dst)
	// What the merge placed is gone; what was there and not replaced stays.
	want = map[string]string{"bin/": "", "bin/keep": before["bin/keep"], "lib/": ""}
	if !equalMaps(got, want) {
		t.Fatalf("after unplace = %v, want %v", got, want)
	}
}

func TestMergeRefusesSymlinkedDirectory(t *testing.T) {
	dst, src, outside := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dst, "lib")); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	writeTree(t, src, "lib/evil")
	_, err := merge(src, dst)
	if !errors.Is(err, ErrHostileEntry) {
		t.Fatalf("merge through a symlink: error = %v, want ErrHostileEntry", err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("merge wrote %d entries outside the workenv", len(ents))
	}
}

func TestLayoutInstallAndMarker(t *testing.T) {
	cache := t.TempDir()
	var sum [32]byte
	sum[0] = 0xab
	l := newLayout(cache, "hello", sum)
	if err := os.MkdirAll(l.side, 0o700); err != nil {
		t.Fatal(err)
	}
	if l.complete() {
		t.Fatal("fresh layout reports complete")
	}
	for round := 0; round < 2; round++ {
		st, err := l.stage()
		if err != nil {
			t.Fatal(err)
		}
		writeTree(t, st, "round"+string(rune('0'+round)))
		if err := l.invalidate(); err != nil {
			t.Fatal(err)
		}
		if err := l.install(st); err != nil {
			t.Fatal(err)
		}
		if err := l.markComplete(); err != nil {
			t.Fatal(err)
		}
		if !l.complete() {
			t.Fatal("not complete after markComplete")
		}
		got := listTree(t, l.workenv)
		if len(got) != 1 || got["round"+string(rune('0'+round))] == "" {
			t.Fatalf("round %d: workenv = %v", round, got)
		}
	}
	// A marker for other metadata is not trusted.
	if err := os.WriteFile(l.completePath(), []byte("sha256:00\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if l.complete() {
		t.Fatal("marker with another digest trusted")
	}
	// Leftovers of a killed extractor are removed by cleanStale; markers stay.
	writeTree(t, l.side, "stage-123/x", "old-9/tree/y")
	if err := l.cleanStale(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(l.side)
	for _, e := range ents {
		if e.Name() != "complete" {
			t.Fatalf("left in %s: %s", l.side, e.Name())
		}
	}
}

func TestLockFileExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	var inside, maxInside, total atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				unlock, err := lockFile(path)
				if err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				for {
					m := maxInside.Load()
					if n <= m || maxInside.CompareAndSwap(m, n) {
						break
					}
				}
				total.Add(1)
				inside.Add(-1)
				if err := unlock(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if total.Load() != 320 || maxInside.Load() != 1 {
		t.Fatalf("%d lock holders at once (want 1), %d acquisitions (want 320)", maxInside.Load(), total.Load())
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestMergeFollowsInTreeSymlink(t *testing.T) {
	dst, src := t.TempDir(), t.TempDir()
	writeTree(t, dst, "store/")
	if err := os.Symlink("store", filepath.Join(dst, "data")); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	writeTree(t, src, "data/x")
	ps, err := merge(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "store", "x")); string(b) != "data/x" {
		t.Fatalf("store/x = %q", b)
	}
	if len(ps) != 1 || ps[0].rel != filepath.Join("store", "x") {
		t.Fatalf("placed %v, want store/x", ps)
	}
}
