package packer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/ops"
)

func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, name := range []string{"single-raw.psp", "multi-slot.psp"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	tarball := smallTar(f)
	seeds = append(seeds, craft{align: 1, envKey: "env", hints: pythonHints, slots: []craftSlot{
		{"a", "{workenv}", tarball, ops.Chain{ops.Tar, ops.Zstd}, 0o600, 0},
		{"b", "b.txt", []byte("seventeen bytes!!"), ops.Chain{ops.Xz}, 0o644, 0},
		{"c", "c.txt", []byte("bz"), ops.Chain{ops.Bzip2}, 0o644, 0},
	}}.build(f))
	return seeds
}

// FuzzOpenPackage feeds arbitrary bytes to the trailer, index, descriptor, metadata and slot
// readers. Nothing may panic; the verdict must be the same on a second read, and a package
// accepted at standard level must be accepted at none.
func FuzzOpenPackage(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		open := func(l Level) (*Package, error) {
			return NewPackage(ctx, bytes.NewReader(data), int64(len(data)), WithLevel(l))
		}
		p1, err1 := open(LevelStandard)
		_, err2 := open(LevelStandard)
		if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
			t.Fatalf("inconsistent: %v then %v", err1, err2)
		}
		pn, errn := open(LevelNone)
		if err1 == nil && errn != nil {
			t.Fatalf("accepted at standard, refused at none: %v", errn)
		}
		for _, p := range []*Package{p1, pn} {
			if p == nil {
				continue
			}
			p.VerifyContent(ctx)
			for i := 0; i < p.NumSlots(); i++ {
				p.VerifySlot(ctx, i)
				if rc, err := p.OpenSlot(ctx, i); err == nil {
					io.Copy(io.Discard, io.LimitReader(rc, 16<<20))
					rc.Close()
				}
			}
		}
	})
}

// FuzzMetadata checks that any metadata JSON we accept re-encodes to JSON that parses back to
// the same encoding.
func FuzzMetadata(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		p, err := NewPackage(context.Background(), bytes.NewReader(s), int64(len(s)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p.Metadata().JSON())
	}
	f.Add([]byte(`{"execution":{"env":{"A":"1"}},"slots":[{"permissions":493}],"setup_commands":["x",{"mode":"0755"}],"zzz":[1,2]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		first, err := m.encode()
		if err != nil {
			return // e.g. an extra value encoding/json cannot re-encode
		}
		m2, err := ParseMetadata(first)
		if err != nil {
			t.Fatalf("our own encoding does not parse: %v\n%s", err, first)
		}
		second, err := m2.encode()
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("re-encoding changed the metadata:\n%s\n---\n%s", first, second)
		}
	})
}

// FuzzExtractTar unpacks arbitrary tar bytes the way ExtractSlot does and checks that nothing is
// written outside the destination and no symlink inside it points out.
func FuzzExtractTar(f *testing.F) {
	f.Add(smallTar(f))
	reg := func(name string) tarEntry { return tarEntry{name: name, typ: tar.TypeReg, body: "x"} }
	for _, es := range [][]tarEntry{
		{reg("../evil")}, {reg("/etc/evil")},
		{{name: "l", link: "../outside", typ: tar.TypeSymlink}, reg("l/evil")},
		{{name: "a/", typ: tar.TypeDir}, {name: "a/up", link: "..", typ: tar.TypeSymlink}, {name: "b", link: "a/up/..", typ: tar.TypeSymlink}},
		{{name: "h", link: "/etc/passwd", typ: tar.TypeLink}}, {{name: "c", typ: tar.TypeChar}},
		{reg("f"), {name: "g", link: "f", typ: tar.TypeLink}, {name: "d/", typ: tar.TypeDir, mode: 0o555}},
	} {
		f.Add(makeTar(f, es...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, staged := range []bool{false, true} { // two passes (check, then write), or one
			unpackChecked(t, data, staged)
		}
	})
}

// unpackChecked unpacks data the way ExtractSlot does (after a full check of the archive, or
// with WithStagingDest entry by entry) and fails t when anything lands outside the destination
// or a symlink inside it points out.
func unpackChecked(t *testing.T, data []byte, staged bool) {
	{
		base := t.TempDir()
		dest := filepath.Join(base, "dest")
		writeTree(t, base, map[string]string{"outside/keep.txt": "untouched", "dest/": ""})
		root, err := os.OpenRoot(dest)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		if staged {
			unpackTar(bytes.NewReader(data), root, newTarGuard(root, "."), unpackRules{})
		} else if err := scanTar(bytes.NewReader(data), newTarGuard(root, "."), nil); err == nil {
			unpackTar(bytes.NewReader(data), root, newTarGuard(root, "."), unpackRules{})
		}
		entries, _ := os.ReadDir(base)
		if len(entries) != 2 {
			t.Fatalf("base holds %d entries", len(entries))
		}
		if b, err := os.ReadFile(filepath.Join(base, "outside", "keep.txt")); err != nil || string(b) != "untouched" {
			t.Fatal("outside file changed")
		}
		if es, _ := os.ReadDir(filepath.Join(base, "outside")); len(es) != 1 {
			t.Fatal("something was written outside")
		}
		filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				os.Chmod(p, 0o755) // let cleanup remove read-only directories
			}
			if d.Type()&os.ModeSymlink == 0 {
				return nil
			}
			target, _ := os.Readlink(p)
			lexical := filepath.Join(filepath.Dir(p), target)
			if filepath.IsAbs(target) || !strings.HasPrefix(lexical+"/", dest+"/") {
				t.Fatalf("symlink %s -> %s leaves the destination", p, target)
			}
			if real, err := filepath.EvalSymlinks(p); err == nil && !strings.HasPrefix(real+"/", dest+"/") {
				t.Fatalf("symlink %s resolves to %s outside the destination", p, real)
			}
			return nil
		})
	}
}
