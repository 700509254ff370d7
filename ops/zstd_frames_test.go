package ops

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os/exec"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/zstd"
)

func TestParallelZstd(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	big := make([]byte, 3*zstdChunk+12345)
	for i := range big {
		big[i] = byte(rng.IntN(16)) // compressible, not trivial
	}
	for _, tc := range []struct {
		name string
		in   []byte
	}{{"empty", nil}, {"small", []byte("hello zstd")}, {"exactly one chunk", big[:zstdChunk]}, {"several chunks", big}} {
		t.Run(tc.name, func(t *testing.T) {
			var outs [][]byte
			for _, conc := range []int{1, 2, 7} {
				var buf bytes.Buffer
				w, err := newZstdWriter(&buf, conc)
				if err != nil {
					t.Fatal(err)
				}
				for off := 0; off < len(tc.in); off += 100_000 {
					if _, err := w.Write(tc.in[off:min(len(tc.in), off+100_000)]); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				outs = append(outs, buf.Bytes())
				// ReadFrom, in pieces of odd sizes mixed with writes, gives the same frames.
				var rbuf bytes.Buffer
				rw, _ := newZstdWriter(&rbuf, conc)
				rf := rw.(io.ReaderFrom)
				half := len(tc.in) / 2
				if n, err := rf.ReadFrom(iotest.OneByteReader(bytes.NewReader(tc.in[:min(half, 777)]))); err != nil || n != int64(min(half, 777)) {
					t.Fatalf("ReadFrom: %d, %v", n, err)
				}
				rw.Write(tc.in[min(half, 777):half])
				if n, err := rf.ReadFrom(io.LimitReader(bytes.NewReader(tc.in[half:]), int64(len(tc.in)-half))); err != nil || n != int64(len(tc.in)-half) {
					t.Fatalf("ReadFrom: %d, %v", n, err)
				}
				if err := rw.Close(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(rbuf.Bytes(), buf.Bytes()) {
					t.Fatal("ReadFrom and Write give different output")
				}
			}
			for i := 1; i < len(outs); i++ {
				if !bytes.Equal(outs[0], outs[i]) {
					t.Fatal("output depends on the concurrency")
				}
			}
			dec, _ := zstd.NewReader(bytes.NewReader(outs[0]))
			got, err := io.ReadAll(dec)
			dec.Close()
			if err != nil || !bytes.Equal(got, tc.in) {
				t.Fatalf("klauspost decoder: %d bytes, %v", len(got), err)
			}
			if _, err := exec.LookPath("zstd"); err == nil {
				cmd := exec.Command("zstd", "-dc")
				cmd.Stdin = bytes.NewReader(outs[0])
				got, err := cmd.Output()
				if err != nil || !bytes.Equal(got, tc.in) {
					t.Fatalf("zstd -dc: %d bytes, %v", len(got), err)
				}
			}
		})
	}
	t.Run("write errors surface", func(t *testing.T) {
		w, _ := newZstdWriter(failingWriter{}, 2)
		var err error
		for i := 0; i < 4 && err == nil; i++ {
			_, err = w.Write(big)
		}
		if cerr := w.Close(); !errors.Is(cerr, errDiskFull) {
			t.Fatalf("Close: %v (last Write: %v), want the writer's error", cerr, err)
		}
	})
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }
