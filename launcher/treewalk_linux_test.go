package launcher

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWalkFactsMatchesPortable: the Linux walk (relative fstatat, two workers) records exactly
// what the portable walk records (filepath.WalkDir and lstat, which treeChange compares against),
// in the same order, for every kind of entry and mode bit, with skipped directories left out.
func TestWalkFactsMatchesPortable(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string, mode os.FileMode, body string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	mk("bin/tool", 0o755|os.ModeSetuid, "#!/bin/sh\n")
	mk("bin/group", 0o2755, "g")
	mk("usr/share/doc/a/README", 0o644, "readme")
	mk("usr/share/doc/b/README", 0o600, "other")
	mk("usr/lib/x/y/z/deep", 0o444, "deep")
	mk("var/cache/app/data", 0o644, "skipped")
	mk("var/cached", 0o644, "kept: only the declared directory is skipped")
	mk("Zed", 0o644, "upper case sorts first")
	for i := 0; i < 40; i++ { // more directories than workers, listed in any order
		mk(fmt.Sprintf("many/d%02d/f", i), 0o644, "x")
	}
	if err := os.Mkdir(filepath.Join(root, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"lib": "usr/lib", "dangling": "nowhere", "usr/share/up": "../.."} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(root, "bin/tool"), filepath.Join(root, "bin/tool-link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o640); err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{"var/cache": true, "nothing/here": true}

	want, err := walkFactsPortable([]byte("head\n"), root, skip)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ { // the workers interleave differently from run to run
		got, err := walkFacts([]byte("head\n"), root, skip)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("run %d: the walks differ:\n got %q\nwant %q", i, got, want)
		}
	}
	for _, must := range []string{"\x00bin/tool\x00", "\x00var/cached\x00", "\x00tmp\x00", "\x00fifo\x00", "\x00many/d39/f\x00"} {
		if !bytes.Contains(want, []byte(must)) {
			t.Errorf("the record has no %q: %q", must, want)
		}
	}
	if bytes.Contains(want, []byte("var/cache/")) || bytes.Contains(want, []byte("\x00var/cache\x00")) {
		t.Errorf("the skipped directory is in the record: %q", want)
	}
}

// TestWalkFactsMissingRoot: a root that is gone is an error naming it, not an empty record.
func TestWalkFactsMissingRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "gone")
	_, err := walkFacts(nil, root, nil)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(root)) {
		t.Fatalf("walkFacts(%s) = %v, want an error naming it", root, err)
	}
}

// BenchmarkWalkFacts records a tree shaped like a distribution root (FLAVOR_BENCH_TREE, e.g. an
// extracted Debian workenv, or else a generated one: 600 directories up to four deep, 12 files and
// 2 links in each), by the Linux walk and by the portable one it replaces, in the same run.
func BenchmarkWalkFacts(b *testing.B) {
	root := os.Getenv("FLAVOR_BENCH_TREE")
	if root == "" {
		root = b.TempDir()
		for i := 0; i < 600; i++ {
			dir := filepath.Join(root, fmt.Sprintf("d%d/e%d/f%d/g%d", i%5, i%37, i%101, i))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			for j := 0; j < 12; j++ {
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file%d", j)), nil, 0o644); err != nil {
					b.Fatal(err)
				}
			}
			for j := 0; j < 2; j++ {
				if err := os.Symlink("file0", filepath.Join(dir, fmt.Sprintf("link%d", j))); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	for _, c := range []struct {
		name string
		walk func([]byte, string, map[string]bool) ([]byte, error)
	}{{"linux", walkFacts}, {"portable", walkFactsPortable}} {
		b.Run(c.name, func(b *testing.B) {
			var buf []byte
			for i := 0; i < b.N; i++ {
				var err error
				if buf, err = c.walk(buf[:0], root, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLstatFactsMatchesPortable: the strict check's relative lstat finds what lstat by path finds
// for every recorded entry after the tree was edited: removed, replaced, re-moded, a directory
// swapped for a symbolic link to one with the same names (lstat by path follows it; so must the
// relative one), a directory gone with its entries, and names that never existed.
func TestLstatFactsMatchesPortable(t *testing.T) {
	root := t.TempDir()
	for _, rel := range []string{"a/x", "a/y", "a/sub/z", "b/x", "b/y", "c/deep/er/f", "top", "other/x", "other/y"} {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(rel), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	record, err := walkFacts(nil, root, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := bytes.Split(bytes.TrimSuffix(record, []byte{0}), []byte{0})
	var rels []string
	for i := 1; i < len(f); i += 2 {
		rels = append(rels, string(f[i]))
	}
	rels = append(rels, "never", "a/never", "never/x", "top/x")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Remove(filepath.Join(root, "a/y")))
	must(os.Chmod(filepath.Join(root, "a/x"), 0o600))
	must(os.WriteFile(filepath.Join(root, "top"), []byte("edited"), 0o644))
	must(os.RemoveAll(filepath.Join(root, "b")))
	must(os.Symlink("other", filepath.Join(root, "b")))
	must(os.RemoveAll(filepath.Join(root, "c/deep")))

	want := make([]treeFact, len(rels))
	lstatFactsPortable(root, rels, want)
	for i := 0; i < 10; i++ {
		got := make([]treeFact, len(rels))
		lstatFacts(root, rels, got)
		for j := range rels {
			if got[j] != want[j] {
				t.Fatalf("run %d: %s: got %+v, want %+v", i, rels[j], got[j], want[j])
			}
		}
	}
	var missing, found int
	for _, fact := range want {
		if fact.kind == 0 {
			missing++
		} else {
			found++
		}
	}
	if missing < 6 || found < 8 {
		t.Fatalf("the edits did not show: %d missing, %d found of %d", missing, found, len(rels))
	}
}
