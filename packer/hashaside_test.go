package packer

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/flavor-dev/flavor/internal/sidehash"
)

// TestHashAside: the hash is that of exactly the bytes Read returned, in order, whatever the read
// sizes; a source error comes through; Close after a partial read hashes only what was returned.
func TestHashAside(t *testing.T) {
	data := make([]byte, 3*sidehash.ChunkSize*sidehash.Chunks+12345)
	for i := range data {
		data[i] = byte(rand.Uint32())
	}
	for _, size := range []int{1, 7, 4096, sidehash.ChunkSize, 3 * sidehash.ChunkSize} {
		a := newHashAside(iotest.HalfReader(bytes.NewReader(data)), sha256.New())
		var got bytes.Buffer
		buf := make([]byte, size)
		for {
			n, err := a.Read(buf)
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("read size %d: the bytes differ", size)
		}
		if n, err := a.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("read size %d: a read after EOF gave %d, %v", size, n, err)
		}
		if a.Sum() != sha256.Sum256(data) {
			t.Fatalf("read size %d: the hash is not that of the bytes read", size)
		}
	}

	a := newHashAside(bytes.NewReader(data), sha256.New())
	part := make([]byte, sidehash.ChunkSize+100)
	if _, err := io.ReadFull(a, part); err != nil {
		t.Fatal(err)
	}
	if a.Sum() != sha256.Sum256(part) {
		t.Fatal("after a partial read, the hash is not that of the bytes returned")
	}
	if _, err := a.Read(part); err == nil {
		t.Fatal("a read after Close succeeded")
	}

	boom := errors.New("boom")
	a = newHashAside(io.MultiReader(bytes.NewReader(data[:100]), iotest.ErrReader(boom)), sha256.New())
	defer a.Close()
	if _, err := io.ReadAll(a); !errors.Is(err, boom) {
		t.Fatalf("source error: got %v", err)
	}
}
