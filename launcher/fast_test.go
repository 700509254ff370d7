package launcher

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

// fakeHeader returns a body of n random bytes framed by a trailer whose index places the
// metadata and the slot table as given (headerKey checks framing and bounds, not checksums).
func fakeHeader(n int, mOff, mSize, tOff, tSize uint64) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n, n+packer.TrailerSize)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	ix := make([]byte, packer.IndexSize)
	le := binary.LittleEndian
	le.PutUint64(ix[8:], uint64(n+packer.TrailerSize))
	le.PutUint64(ix[24:], mOff)
	le.PutUint64(ix[32:], mSize)
	le.PutUint64(ix[40:], tOff)
	le.PutUint64(ix[48:], tSize)
	return append(b, packer.MarshalTrailer(ix)...)
}

func TestHeaderKey(t *testing.T) {
	dir := t.TempDir()
	sum := func(b []byte, mOff, mSize, tOff, tSize uint64) [32]byte {
		h := sha256.New()
		h.Write(b[len(b)-packer.TrailerSize+4 : len(b)-4])
		h.Write(b[mOff : mOff+mSize])
		h.Write(b[tOff : tOff+tSize])
		return [32]byte(h.Sum(nil))
	}
	for _, tc := range []struct {
		name                     string
		mOff, mSize, tOff, tSize uint64
	}{
		{"table after the metadata (one read)", 1000, 700, 1704, 128},
		{"regions far apart (two reads)", 10, 100, 90000, 192},
		{"table before the metadata", 50000, 300, 64, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := fakeHeader(100000, tc.mOff, tc.mSize, tc.tOff, tc.tSize)
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			os.WriteFile(p, b, 0o644)
			got, ok := headerKey(p)
			if !ok || got != sum(b, tc.mOff, tc.mSize, tc.tOff, tc.tSize) {
				t.Fatalf("headerKey = %x, %v; want the SHA-256 of index, metadata and table", got, ok)
			}
			b[tc.tOff+tc.tSize-1] ^= 1 // any byte of the three regions changes the key
			os.WriteFile(p, b, 0o644)
			if again, ok := headerKey(p); !ok || again == got {
				t.Fatal("a changed table byte kept the key")
			}
		})
	}
	good := fakeHeader(4096, 0, 100, 104, 64)
	for name, b := range map[string][]byte{
		"short file":             good[:100],
		"bad magic":              append(bytes.Clone(good[:len(good)-1]), 0),
		"appended byte":          append(bytes.Clone(good), 0),
		"metadata out of bounds": fakeHeader(4096, 4000, 200, 0, 64),
		"table out of bounds":    fakeHeader(4096, 0, 100, 4090, 64),
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
			os.WriteFile(p, b, 0o644)
			if _, ok := headerKey(p); ok {
				t.Fatal("accepted")
			}
		})
	}
	if _, ok := headerKey(filepath.Join(dir, "missing")); ok {
		t.Fatal("a missing file was accepted")
	}
}

func TestReadSmall(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("sha256:abc\n"), 0o600)
	if b, err := readSmall(p, 64); err != nil || string(b) != "sha256:abc\n" {
		t.Fatalf("readSmall = %q, %v", b, err)
	}
	if _, err := readSmall(p, 5); err == nil {
		t.Fatal("a file over the limit was read")
	}
	if _, err := readSmall(filepath.Join(dir, "missing"), 64); !os.IsNotExist(err) {
		t.Fatalf("missing file: %v, want a not-exist error", err)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	if b, err := readSmall(empty, 64); err != nil || len(b) != 0 {
		t.Fatalf("empty file: %q, %v", b, err)
	}
}
