package packer

import (
	"archive/tar"
	"fmt"
	"io"
	"math"

	"github.com/flavor-dev/flavor/ops"
)

// A slot's decoded size is declared before anything is decoded: the descriptor's original_size,
// pinned under the signature by our writer. Extraction holds a slot to it twice over, so a few
// kilobytes of zstd cannot fill a disk: the decoded stream may not run past it (boundedReader),
// and the sizes its tar entries declare may not add up to more (sizeBudget, which also stops a
// sparse entry whose holes would be written out as zeros).

// sizeLimit returns how many bytes slot i may decode to, or -1 when it declares nothing. Our
// writer records the decoded length and pins the descriptor in the signed metadata; FlavorPack's
// Python builder records the decoded length too. FlavorPack's Go and Rust builders copy the
// stored size into original_size, which for a compressed slot of a package without our pins
// declares nothing.
func (p *Package) sizeLimit(i int) int64 {
	d := p.descs[i]
	if p.meta.Integrity == nil && d.OriginalSize == d.Size && compresses(d.Chain()) {
		return -1
	}
	return int64(min(d.OriginalSize, math.MaxInt64))
}

func compresses(c ops.Chain) bool {
	for _, op := range c {
		if op != ops.Tar {
			return true
		}
	}
	return false
}

// decodeSlot returns the decoded content of slot i read from its stored bytes src, refusing
// (ErrSlotSize) to run past the slot's declared size.
func (p *Package) decodeSlot(i int, src io.Reader) (io.ReadCloser, error) {
	dec, err := decodeChain(src, p.descs[i].Chain())
	if err != nil {
		return nil, err
	}
	limit := p.sizeLimit(i)
	if limit < 0 {
		return dec, nil
	}
	return &boundedReader{ReadCloser: dec, left: limit, declared: limit}, nil
}

// boundedReader passes on at most left bytes and fails, instead of passing on more, when the
// stream has more.
type boundedReader struct {
	io.ReadCloser
	left, declared int64
}

func (b *boundedReader) Read(buf []byte) (int, error) {
	if int64(len(buf)) > b.left+1 {
		buf = buf[:b.left+1]
	}
	n, err := b.ReadCloser.Read(buf)
	if int64(n) > b.left {
		n = int(b.left)
		b.left = 0
		return n, fmt.Errorf("decodes to more than the %d bytes its descriptor declares: %w", b.declared, ErrSlotSize)
	}
	b.left -= int64(n)
	return n, err
}

// sizeBudget adds up the sizes a slot's tar entries declare; nil means the slot declares no size.
type sizeBudget struct{ declared, left int64 }

func (p *Package) sizeBudget(i int) *sizeBudget {
	if limit := p.sizeLimit(i); limit >= 0 {
		return &sizeBudget{declared: limit, left: limit}
	}
	return nil
}

// spend refuses a regular entry whose declared size does not fit in what is left, before any of
// it is written.
func (b *sizeBudget) spend(h *tar.Header) error {
	if b == nil {
		return nil
	}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
	default:
		return nil
	}
	if h.Size > b.left {
		return fmt.Errorf("entry %q declares %d bytes, more than the %d left of the %d bytes the slot declares: %w",
			h.Name, h.Size, b.left, b.declared, ErrSlotSize)
	}
	b.left -= h.Size
	return nil
}
