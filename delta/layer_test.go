package delta

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layerOf writes the upper directory at root as an OCI layer, the way an engine commits it:
// entries in walk order, hard links after their first name, whiteouts as .wh.NAME and opaque
// directories as a .wh..wh..opq entry inside them.
func layerOf(t *testing.T, root string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	first := map[string]string{} // inode → first path
	err := filepath.WalkDir(root, func(host string, d fs.DirEntry, err error) error {
		if err != nil || host == root {
			return err
		}
		p := "/" + filepath.ToSlash(must(filepath.Rel(root, host)))
		fi, err := os.Lstat(host)
		if err != nil {
			return err
		}
		if isWhiteout(fi) {
			dir, name := path.Split(p)
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: dir[1:] + whiteoutPrefix + name, Mode: 0o600})
		}
		e, x, err := entryFromFile(p, host, fi)
		if err != nil || e == nil {
			return err
		}
		if e.inode != "" {
			if f, ok := first[e.inode]; ok {
				e.Type, e.Linkname, e.Size = tar.TypeLink, f, 0
			} else {
				first[e.inode] = p
			}
		}
		if err := writeEntry(context.Background(), tw, *e, &e.ModTime); err != nil {
			return err
		}
		if e.Type == tar.TypeDir && isOpaque(x) {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p[1:] + "/" + whiteoutOpaque, Mode: 0o600})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// fromLayerMatchesOverlay checks that FromLayer on upper written as a layer gives the entries and
// removals FromOverlay gave (want, wantRemoved), plain and gzip-compressed.
func fromLayerMatchesOverlay(t *testing.T, upper, lower string, opts []Option, want, wantRemoved []string) {
	t.Helper()
	layer := layerOf(t, upper)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(layer)
	zw.Close()
	reverse := reverseDiffOf(t, upper, lower)
	for name, b := range map[string][]byte{"plain": layer, "gzip": gz.Bytes(), "reverse diff": layer} {
		var base Base = LowerDirs([]string{lower})
		if name == "reverse diff" {
			rd, err := ReadReverseDiff(context.Background(), bytes.NewReader(reverse), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			base = rd
		}
		tree, err := FromLayer(context.Background(), bytes.NewReader(b), base, opts...)
		if err != nil {
			t.Fatalf("FromLayer (%s): %v", name, err)
		}
		diffLines(t, "layer "+name+" entries", describe(t, tree), want)
		diffLines(t, "layer "+name+" removed", tree.Removed(), wantRemoved)
		tree.Close()
	}
}

// reverseDiffOf writes the reverse diff of an overlay (upper over lower) as a daemon that has
// both file systems computes it (BuildKit's llb.Diff(package, builder)): walking the merged
// result and the lower, every lower path the result lacks or holds differently (type, mode,
// owner, time, link target, bytes) as the lower has it, a whiteout for every result path the
// lower lacks (not under another one).
func reverseDiffOf(t *testing.T, upper, lower string) []byte {
	t.Helper()
	type node struct {
		e    *Entry
		host string
	}
	walk := func(root string, visit func(p, host string, fi fs.FileInfo, x map[string][]byte) error) {
		t.Helper()
		err := filepath.WalkDir(root, func(host string, d fs.DirEntry, err error) error {
			if err != nil || host == root {
				return err
			}
			fi, err := os.Lstat(host)
			if err != nil {
				return err
			}
			p := "/" + filepath.ToSlash(must(filepath.Rel(root, host)))
			if isWhiteout(fi) {
				return visit(p, host, fi, nil)
			}
			e, x, err := entryFromFile(p, host, fi)
			if err != nil || e == nil {
				return err
			}
			return visit(p, host, fi, x)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	under := func(p, dir string) bool { return strings.HasPrefix(p, dir+"/") }
	base := map[string]node{}
	walk(lower, func(p, host string, fi fs.FileInfo, _ map[string][]byte) error {
		e, _, err := entryFromFile(p, host, fi)
		base[p] = node{e, host}
		return err
	})
	result := maps.Clone(base)
	walk(upper, func(p, host string, fi fs.FileInfo, x map[string][]byte) error {
		for q := range result {
			if q == p && isWhiteout(fi) || under(q, p) && (isWhiteout(fi) || isOpaque(x)) {
				delete(result, q)
			}
		}
		if !isWhiteout(fi) {
			e, _, err := entryFromFile(p, host, fi)
			if err != nil {
				return err
			}
			if old, ok := result[p]; ok && (old.e.Type == tar.TypeDir) != (e.Type == tar.TypeDir) {
				for q := range result {
					if under(q, p) {
						delete(result, q)
					}
				}
			}
			result[p] = node{e, host}
		}
		return nil
	})
	same := func(a, b node) bool {
		if a.e.Type != b.e.Type || a.e.Mode != b.e.Mode || a.e.UID != b.e.UID || a.e.GID != b.e.GID ||
			a.e.Linkname != b.e.Linkname || a.e.Size != b.e.Size || !a.e.ModTime.Equal(b.e.ModTime) || !maps.Equal(a.e.Xattrs, b.e.Xattrs) {
			return false
		}
		if a.e.Type != tar.TypeReg {
			return true
		}
		return bytes.Equal(must(os.ReadFile(a.host)), must(os.ReadFile(b.host)))
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	first := map[string]string{}
	var gone []string
	for _, p := range slices.Sorted(maps.Keys(base)) {
		if r, ok := result[p]; ok && same(r, base[p]) {
			continue
		}
		e := *base[p].e
		if e.inode != "" {
			if f, ok := first[e.inode]; ok {
				e.Type, e.Linkname, e.Size = tar.TypeLink, f, 0
			} else {
				first[e.inode] = p
			}
		}
		if err := writeEntry(context.Background(), tw, e, &e.ModTime); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(result)) {
		if _, ok := base[p]; ok || slices.ContainsFunc(gone, func(g string) bool { return under(p, g) }) {
			continue
		}
		gone = append(gone, p)
		dir, name := path.Split(p)
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: dir[1:] + whiteoutPrefix + name, Mode: 0o600}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFromLayerHardLinkOutsideTheLayer(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeLink, Name: "bin/sh3", Linkname: "bin/sh"})
	tw.Close()
	_, err := FromLayer(context.Background(), &buf, LowerDirs([]string{baseLower(t).root}))
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("hard link to bin/sh")) {
		t.Fatalf("a hard link to a base file: %v", err)
	}
}
