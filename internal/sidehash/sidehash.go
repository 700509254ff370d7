// Package sidehash hashes a stream on a goroutine of its own, so a digest taken on the way
// (a slot's SHA-256 while it is decoded, an SBOM's per-file SHA-1 while the files are scanned)
// runs on another core instead of on the reader's path.
package sidehash

import (
	"hash"
	"io"
)

// ChunkSize and Chunks size a Worker's buffers: what is written is copied into chunks of
// ChunkSize bytes, and at most Chunks of them wait for the hasher besides the one being filled.
const (
	ChunkSize = 256 << 10
	Chunks    = 8
)

// Worker hashes what is written to it on a goroutine of its own. The stream is cut into parts by
// EndPart; each part's digest is kept by its number and returned by Wait. Write, EndPart and Wait
// are called from one goroutine at a time; Wait must be called to stop the goroutine.
type Worker struct {
	h      hash.Hash
	in     chan msg
	free   chan []byte
	fill   []byte
	part   int
	sums   [][]byte // filled by the goroutine; read after done
	done   chan struct{}
	waited bool
}

// msg is a chunk to hash, or (end) the end of the current part.
type msg struct {
	b   []byte
	end bool
}

// New starts a Worker hashing with h.
func New(h hash.Hash) *Worker {
	w := &Worker{h: h, in: make(chan msg, Chunks), free: make(chan []byte, Chunks+1), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for m := range w.in {
			if m.end {
				w.sums = append(w.sums, w.h.Sum(nil))
				w.h.Reset()
				continue
			}
			w.h.Write(m.b)
			select {
			case w.free <- m.b[:0]:
			default:
			}
		}
	}()
	return w
}

// Write queues a copy of p for the hasher. After Wait it fails with io.ErrClosedPipe.
func (w *Worker) Write(p []byte) (int, error) {
	if w.waited {
		return 0, io.ErrClosedPipe
	}
	n := len(p)
	for len(p) > 0 {
		if w.fill == nil {
			select {
			case w.fill = <-w.free:
			default:
				w.fill = make([]byte, 0, ChunkSize)
			}
		}
		k := min(len(p), ChunkSize-len(w.fill))
		w.fill = append(w.fill, p[:k]...)
		p = p[k:]
		if len(w.fill) == ChunkSize {
			w.in <- msg{b: w.fill}
			w.fill = nil
		}
	}
	return n, nil
}

// EndPart ends the current part and returns its number, the index of its digest in Wait's
// result (-1 after Wait).
func (w *Worker) EndPart() int {
	if w.waited {
		return -1
	}
	if len(w.fill) > 0 {
		w.in <- msg{b: w.fill}
		w.fill = nil
	}
	w.in <- msg{end: true}
	w.part++
	return w.part - 1
}

// Wait stops the hasher and returns the digest of every ended part, by number. Bytes written
// after the last EndPart are dropped. Calling it again returns the same digests.
func (w *Worker) Wait() [][]byte {
	if !w.waited {
		w.waited = true
		w.fill = nil
		close(w.in)
		<-w.done
	}
	return w.sums
}
