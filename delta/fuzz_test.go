package delta

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	t := &testing.T{}
	f.Add(exportTar(t))
	f.Add(writeTestTar(t, []tarEntry{
		{name: "a/", typ: tar.TypeDir},
		{name: "a/b", typ: tar.TypeReg, body: "b"},
		{name: "a/c", typ: tar.TypeLink, link: "a/b"},
		{name: "l", typ: tar.TypeSymlink, link: "../.."},
		{name: "l/x", typ: tar.TypeReg, body: "x"},
		{name: "../up", typ: tar.TypeReg, body: "u"},
	}))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0})
	f.Add([]byte{})
}

// FuzzCarve reads arbitrary bytes as an artifact. Whatever it accepts must write back to a tar
// that reads again to the same entries.
func FuzzCarve(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := Carve(context.Background(), bytes.NewReader(data))
		if err != nil {
			return
		}
		defer tree.Close()
		first := describe(t, tree)
		var buf bytes.Buffer
		if err := tree.WriteTar(context.Background(), &buf); err != nil {
			t.Fatalf("writing an accepted tree: %v", err)
		}
		again, err := Carve(context.Background(), bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("reading back a written tree: %v", err)
		}
		defer again.Close()
		diffLines(t, "round trip", describe(t, again), first)
	})
}

// FuzzApply extracts arbitrary bytes as an artifact: it may fail, but it must never write
// outside the target directory.
func FuzzApply(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "root")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = Apply(context.Background(), dir, bytes.NewReader(data))
		ents, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 1 || ents[0].Name() != "root" {
			t.Fatalf("applying wrote outside the target: %v", ents)
		}
		// Make sure cleanup can remove what was made, whatever modes it got.
		_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
}

// FuzzFromLayer reads arbitrary bytes as a layer on a small base. Whatever it accepts must write
// back to a tar that reads again (as a layer on the same base) to the same entries, and its
// removals must be paths the base has.
func FuzzFromLayer(f *testing.F) {
	// Small seeds only: the fuzzer minimizes every new interesting input, which takes its
	// minutes on a whole export.
	f.Add([]byte{})
	f.Add(writeTestTar(&testing.T{}, []tarEntry{
		{name: "bin/", typ: tar.TypeDir},
		{name: "bin/.wh.ls", typ: tar.TypeReg},
		{name: "var/cache/", typ: tar.TypeDir},
		{name: "var/cache/.wh..wh..opq", typ: tar.TypeReg},
		{name: "var/cache/c", typ: tar.TypeReg, body: "c"},
	}))
	root := f.TempDir()
	for _, p := range []string{"bin/sh", "bin/ls", "etc/passwd", "var/cache/a", "var/cache/b"} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(p), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	base := LowerDirs([]string{root})
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := FromLayer(context.Background(), bytes.NewReader(data), base)
		if err != nil {
			return
		}
		defer tree.Close()
		for _, p := range tree.Removed() {
			if e, err := base.Lookup(context.Background(), p); err != nil || e == nil {
				t.Fatalf("removed %s, which the base does not have (%v)", p, err)
			}
		}
		first := describe(t, tree)
		var buf bytes.Buffer
		if err := tree.WriteTar(context.Background(), &buf); err != nil {
			t.Fatalf("writing an accepted tree: %v", err)
		}
		again, err := FromLayer(context.Background(), bytes.NewReader(buf.Bytes()), base)
		if err != nil {
			t.Fatalf("reading back a written tree: %v", err)
		}
		defer again.Close()
		diffLines(t, "round trip", describe(t, again), first)
	})
}
