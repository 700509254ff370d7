package sbom

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"hash"
	"math/rand/v2"
	"testing"

	"github.com/flavor-dev/flavor/internal/sidehash"
)

// benchTar is a 64 MiB tar stream of 512 files of 4 KiB to 1 MiB.
func benchTar(b *testing.B) []byte {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := make([]byte, 1<<20)
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	for i := 0; buf.Len() < 64<<20; i++ {
		n := 4<<10 + rng.IntN(1<<20-4<<10)
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d%d/f%d", i%16, i), Mode: 0o644, Size: int64(n), Typeflag: tar.TypeReg}); err != nil {
			b.Fatal(err)
		}
		tw.Write(body[:n])
	}
	tw.Close()
	return buf.Bytes()
}

// BenchmarkScanTar: the scan flavor pack runs on every tar slot for the SBOM, with its hashes on
// workers (more than two CPUs) and inline (the scan's goroutine hashes every byte three times),
// against one SHA-256 of the stream, the floor. MB/s are of the tar stream.
func BenchmarkScanTar(b *testing.B) {
	data := benchTar(b)
	for _, c := range []struct {
		name string
		new  func(hash.Hash) partHasher
	}{
		{"workers", func(h hash.Hash) partHasher { return sidehash.New(h) }},
		{"inline", func(h hash.Hash) partHasher { return &inlineHasher{h: h} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := scanTar(context.Background(), bytes.NewReader(data), c.new(sha256.New()), c.new(sha1.New())); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("sha256-once", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			sha256.Sum256(data)
		}
	})
}
