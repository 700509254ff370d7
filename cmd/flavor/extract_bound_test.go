package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/flavor-dev/flavor/packer"
)

// craftedPackage assembles a signed package by hand, one tar.zst slot whose descriptor declares
// original as its decoded size (our writer would declare the truth).
func craftedPackage(t *testing.T, tarStream []byte, original uint64) string {
	t.Helper()
	var zb bytes.Buffer
	zw, _ := zstd.NewWriter(&zb, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	zw.Write(tarStream)
	zw.Close()
	stored := zb.Bytes()
	sum := sha256.Sum256(stored)
	js := []byte(`{"format": "PSPF/2025", "format_version": "1.0.0", "package": {"name": "crafted", "version": "1"},
  "slots": [{"slot": 0, "id": "payload", "source": "payload.tar.zst", "target": "{workenv}", "size": ` + strconv.Itoa(len(stored)) + `,
    "checksum": "` + packer.FormatSHA256(sum) + `", "operations": "tar.zst", "purpose": "code", "lifecycle": "runtime"}],
  "execution": {"primary_slot": 0, "command": "true"}}`)
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(js)
	gw.Close()
	out := bytes.Repeat([]byte{0}, 64) // a stand-in launcher
	x := packer.Index{FormatVersion: packer.FormatVersion, LauncherSize: uint64(len(out)), MetadataOffset: uint64(len(out)),
		MetadataSize: uint64(gz.Len()), SlotCount: 1, SlotTableSize: 64, MetadataChecksum: sha256.Sum256(gz.Bytes())}
	out = append(out, gz.Bytes()...)
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	x.SlotTableOffset = uint64(len(out))
	d := packer.Descriptor{Offset: x.SlotTableOffset + 64, Size: uint64(len(stored)), OriginalSize: original,
		Operations: 0x1B01, Checksum: packer.ChecksumPrefix(sum), NameHash: packer.NameHash("payload"), Priority: 1, Permissions: 0o644}
	db, _ := d.MarshalBinary()
	out = append(append(out, db...), stored...)
	x.PackageSize = uint64(len(out) + packer.TrailerSize)
	key := packer.KeyFromSeed("test123")
	copy(x.PublicKey[:], key.Public().(ed25519.PublicKey))
	copy(x.Signature[:], ed25519.Sign(key, js))
	ib, _ := x.MarshalBinary()
	path := filepath.Join(t.TempDir(), "crafted.psp")
	if err := os.WriteFile(path, append(out, packer.MarshalTrailer(ib)...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func tarStream(t *testing.T, entries ...*tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(make([]byte, h.Size))
	}
	tw.Close()
	return buf.Bytes()
}

// TestExtractBomb: a slot that decodes to more than its signed size is refused, naming the slot,
// and nothing is written.
func TestExtractBomb(t *testing.T) {
	const big = 32 << 20
	psp := craftedPackage(t, tarStream(t, &tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: big}), 64<<10)
	out := filepath.Join(t.TempDir(), "out")
	_, stderr, code := runApp(t, "extract", psp, "--out", out)
	if code != 2 || !strings.Contains(stderr, "slot size check failed") || !strings.Contains(stderr, "slot 0 (payload)") {
		t.Fatalf("exit %d, stderr %q; want 2 and a slot size failure naming slot 0 (payload)", code, stderr)
	}
	if got := files(t, out); len(got) != 0 {
		t.Fatalf("a refused extraction wrote %d files", len(got))
	}
}

// TestExtractSetuid: setuid and setgid bits are stripped unless --keep-setuid.
func TestExtractSetuid(t *testing.T) {
	stream := tarStream(t, &tar.Header{Name: "suid", Typeflag: tar.TypeReg, Mode: 0o4755, Size: 4},
		&tar.Header{Name: "sgid", Typeflag: tar.TypeReg, Mode: 0o2755, Size: 4})
	psp := craftedPackage(t, stream, uint64(len(stream)))
	for _, keep := range []bool{false, true} {
		out := t.TempDir()
		args := []string{"extract", psp, "--out", out}
		if keep {
			args = append(args, "--keep-setuid")
		}
		if _, stderr, code := runApp(t, args...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for name, bit := range map[string]fs.FileMode{"suid": fs.ModeSetuid, "sgid": fs.ModeSetgid} {
			fi, err := os.Stat(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode() & (fs.ModeSetuid | fs.ModeSetgid); keep && got != bit || !keep && got != 0 || fi.Mode().Perm() != 0o755 {
				t.Fatalf("--keep-setuid=%v: %s has mode %v", keep, name, fi.Mode())
			}
		}
	}
}
