package sidehash

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"
)

// TestWorkerStopsWithoutEndPart: a scan that fails midway stops its worker (Wait returns)
// whatever was written.
func TestWorkerStopsWithoutEndPart(t *testing.T) {
	w := New(sha256.New())
	w.Write(bytes.Repeat([]byte{1}, 3*ChunkSize+1))
	if n := w.EndPart(); n != 0 {
		t.Fatalf("first part is %d", n)
	}
	w.Write([]byte("dropped"))
	sums := w.Wait()
	want := sha256.Sum256(bytes.Repeat([]byte{1}, 3*ChunkSize+1))
	if len(sums) != 1 || !bytes.Equal(sums[0], want[:]) {
		t.Fatalf("sums %x", sums)
	}
	if again := w.Wait(); len(again) != 1 {
		t.Fatalf("a second Wait gave %x", again)
	}
	if _, err := w.Write([]byte("late")); err != io.ErrClosedPipe {
		t.Fatalf("a write after Wait: %v", err)
	}
}
