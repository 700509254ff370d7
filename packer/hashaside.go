package packer

import (
	"hash"
	"io"

	"github.com/flavor-dev/flavor/internal/sidehash"
)

// hashAside reads src like io.TeeReader(src, h), with h fed by a sidehash.Worker: the SHA-256 of
// a slot's stored bytes is computed on another core while the decoder works, instead of on the
// decoder's input path (a cold extraction spent a fifth of its CPU there). Sum hashes every byte
// Read returned; Close (or Sum) must be called, once the reader is no longer read, to stop the
// worker.
type hashAside struct {
	io.Reader
	w *sidehash.Worker
}

func newHashAside(src io.Reader, h hash.Hash) *hashAside {
	w := sidehash.New(h)
	return &hashAside{Reader: io.TeeReader(src, w), w: w}
}

// Close stops the worker; later reads fail.
func (a *hashAside) Close() { a.w.Wait() }

// Sum closes a and returns the SHA-256 of every byte Read returned.
func (a *hashAside) Sum() [32]byte {
	a.w.EndPart()
	sums := a.w.Wait()
	if len(sums) == 0 { // closed before: nothing was summed
		return [32]byte{}
	}
	return [32]byte(sums[0])
}
