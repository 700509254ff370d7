package packer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/ops"
)

// diskUsage adds up the sizes of the regular files under dir.
func diskUsage(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return err
	})
	return n
}

// A slot may not decode to more than its descriptor declares: neither by one big entry (refused
// at its header) nor by bytes after the end of the archive, nor as a single file, in either
// extraction mode, nor through OpenSlot.
func TestSlotHeldToDeclaredSize(t *testing.T) {
	ctx := context.Background()
	const big = 8 << 20
	bigEntry := makeTar(t, tarEntry{name: "ok", typ: tar.TypeReg, body: "small"},
		tarEntry{name: "zeros", typ: tar.TypeReg, body: string(make([]byte, big))})
	trailing := append(makeTar(t, tarEntry{name: "ok", typ: tar.TypeReg, body: "small"}), make([]byte, big)...)
	for _, tc := range []struct {
		name     string
		slot     craftSlot
		declared int64
	}{
		{"one entry declares more", craftSlot{id: "bomb", target: "{workenv}", ops: ops.Chain{ops.Tar, ops.Zstd}, content: bigEntry, original: 64 << 10}, 64 << 10},
		{"bytes after the archive", craftSlot{id: "bomb", target: "{workenv}", ops: ops.Chain{ops.Tar, ops.Gzip}, content: trailing, original: 64 << 10}, 64 << 10},
		{"single file", craftSlot{id: "bomb", target: "data.bin", ops: ops.Chain{ops.Xz}, content: make([]byte, big), original: 4096, perm: 0o644}, 4096},
	} {
		for _, staging := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: "", true: " staged"}[staging], func(t *testing.T) {
				p := packageWithSlot(t, tc.slot)
				if d, _ := p.Descriptor(0); d.Size > 64<<10 {
					t.Fatalf("the bomb is %d bytes stored; the test wants a small one", d.Size)
				}
				dest := t.TempDir()
				_, err := p.ExtractSlot(ctx, 0, dest, WithStagingDest(staging))
				// One-pass extraction stops decoding at the end of the archive: what follows is
				// never decoded, let alone written.
				if staging && tc.name == "bytes after the archive" {
					if err != nil {
						t.Fatal(err)
					}
				} else if !errors.Is(err, ErrSlotSize) || !strings.Contains(err.Error(), "slot 0 (bomb)") {
					t.Fatalf("ExtractSlot: %v, want ErrSlotSize naming slot 0 (bomb)", err)
				}
				if n := diskUsage(t, dest); n > tc.declared {
					t.Fatalf("%d bytes written, more than the %d declared", n, tc.declared)
				}
				rc, err := p.OpenSlot(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				n, err := io.Copy(io.Discard, rc)
				if !errors.Is(err, ErrSlotSize) || n > tc.declared {
					t.Fatalf("OpenSlot: read %d bytes, %v; want at most %d and ErrSlotSize", n, err, tc.declared)
				}
			})
		}
	}
}

// A slot that decodes to exactly its declared size extracts, with our writer's packages and
// with a hand-made one.
func TestSlotAtDeclaredSizeExtracts(t *testing.T) {
	ctx := context.Background()
	content := makeTar(t, tarEntry{name: "zeros", typ: tar.TypeReg, body: string(make([]byte, 1<<20))})
	p := packageWithSlot(t, craftSlot{id: "full", target: "{workenv}", ops: ops.Chain{ops.Tar, ops.Zstd}, content: content})
	dest := t.TempDir()
	if _, err := p.ExtractSlot(ctx, 0, dest); err != nil {
		t.Fatal(err)
	}
	if n := diskUsage(t, dest); n != 1<<20 {
		t.Fatalf("%d bytes written, want %d", n, 1<<20)
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), bytes.Repeat([]byte("x"), 1<<20), 0o644)
	out := filepath.Join(t.TempDir(), "w.psp")
	if _, err := Write(ctx, out, Spec{Launcher: testLauncher, Name: "w", Version: "1", Execution: Execution{Command: "true"},
		Slots: []Slot{{ID: "d", Path: dir}}}, WithSigner(KeyFromSeed("test-seed"))); err != nil {
		t.Fatal(err)
	}
	w, err := Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.ExtractSlot(ctx, 0, t.TempDir(), WithStagingDest(true)); err != nil {
		t.Fatal(err)
	}
}

// Setuid and setgid bits of a single-file slot are stripped unless WithSetuid.
func TestSingleFileSetuid(t *testing.T) {
	ctx := context.Background()
	p := packageWithSlot(t, craftSlot{id: "tool", target: "bin/tool", content: []byte("#!/bin/sh\necho hi\n"), perm: 0o6755})
	for _, keep := range []bool{false, true} {
		dest := t.TempDir()
		out, err := p.ExtractSlot(ctx, 0, dest, WithSetuid(keep))
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		set := fi.Mode() & (fs.ModeSetuid | fs.ModeSetgid)
		if keep && set != fs.ModeSetuid|fs.ModeSetgid || !keep && set != 0 || fi.Mode().Perm() != 0o755 {
			t.Fatalf("WithSetuid(%v): mode %v", keep, fi.Mode())
		}
	}
}
