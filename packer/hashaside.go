package packer

import (
	"hash"
	"io"
)

// hashAsideChunk and hashAsideBuffers size hashAside's buffers: the hasher may lag the reader by
// up to hashAsideBuffers-1 chunks.
const (
	hashAsideChunk   = 256 << 10
	hashAsideBuffers = 4
)

// hashAside reads src like io.TeeReader(src, h), except that h is fed from a goroutine of its
// own: the SHA-256 of a slot's stored bytes is computed on another core while the decoder
// works, instead of on the decoder's input path (a cold extraction spent a fifth of its CPU
// there). Chunks reach h in order; Sum waits for the hasher. Close (or Sum) must be called, once
// the reader is no longer read, to stop the goroutine.
type hashAside struct {
	src    io.Reader
	h      hash.Hash
	buf    []byte // the chunk being read from, buf[off:] not yet returned
	off    int
	queue  chan []byte   // consumed chunks, to hash
	free   chan []byte   // hashed chunks, to fill again
	done   chan struct{} // closed when the hasher has hashed everything queued
	closed bool
}

func newHashAside(src io.Reader, h hash.Hash) *hashAside {
	a := &hashAside{
		src:   src,
		h:     h,
		queue: make(chan []byte, hashAsideBuffers),
		free:  make(chan []byte, hashAsideBuffers),
		done:  make(chan struct{}),
	}
	for range hashAsideBuffers {
		a.free <- make([]byte, hashAsideChunk)
	}
	go func() {
		defer close(a.done)
		for b := range a.queue {
			a.h.Write(b)
			a.free <- b[:cap(b)]
		}
	}()
	return a
}

func (a *hashAside) Read(p []byte) (int, error) {
	if a.closed {
		return 0, io.ErrClosedPipe
	}
	if a.off == len(a.buf) {
		if a.buf != nil {
			a.queue <- a.buf // everything in it was returned: hash it
			a.buf, a.off = nil, 0
		}
		b := <-a.free
		n, err := io.ReadAtLeast(a.src, b, 1)
		if n == 0 {
			a.free <- b
			return 0, err
		}
		a.buf, a.off = b[:n], 0
	}
	n := copy(p, a.buf[a.off:])
	a.off += n
	return n, nil
}

// Close hands what was read to the hasher and waits for it. Bytes read from src but not yet
// returned by Read are not hashed.
func (a *hashAside) Close() {
	if a.closed {
		return
	}
	a.closed = true
	if a.buf != nil {
		a.queue <- a.buf[:a.off]
		a.buf, a.off = nil, 0
	}
	close(a.queue)
	<-a.done
}

// Sum closes a and returns the hash of every byte Read returned.
func (a *hashAside) Sum() [32]byte {
	a.Close()
	return [32]byte(a.h.Sum(nil))
}
