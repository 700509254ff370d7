package delta

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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
	for name, b := range map[string][]byte{"plain": layer, "gzip": gz.Bytes()} {
		tree, err := FromLayer(context.Background(), bytes.NewReader(b), LowerDirs([]string{lower}), opts...)
		if err != nil {
			t.Fatalf("FromLayer (%s): %v", name, err)
		}
		diffLines(t, "layer "+name+" entries", describe(t, tree), want)
		diffLines(t, "layer "+name+" removed", tree.Removed(), wantRemoved)
		tree.Close()
	}
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
