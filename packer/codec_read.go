package packer

import (
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Decoding uses the standard library's gzip and bzip2 readers: klauspost's gzip reader is no
// faster at inflating, and the launcher, which only reads, would link a second inflater.

// decodeChain returns a reader of the decoded content of stored bytes encoded with c: the
// inverse operations from the last to the first (TAR is left to the caller). Close releases
// decoder resources; it does not close r.
func decodeChain(r io.Reader, c Chain) (io.ReadCloser, error) {
	var closers []io.Closer
	out := r
	for i := len(c) - 1; i >= 0; i-- {
		if c[i] == OpTar {
			if i != 0 {
				return nil, fmt.Errorf("decoding %s: tar is not the first operation: %w", c, ErrUnsupportedOperation)
			}
			continue
		}
		dec, closer, err := newDecoder(c[i], out)
		if err != nil {
			for _, cl := range closers {
				cl.Close()
			}
			return nil, fmt.Errorf("decoding %s: %w", c, err)
		}
		if closer != nil {
			closers = append(closers, closer)
		}
		out = dec
	}
	return &chainReader{Reader: out, closers: closers}, nil
}

type chainReader struct {
	io.Reader
	closers []io.Closer
}

func (c *chainReader) Close() error {
	var errs []error
	for _, cl := range c.closers {
		errs = append(errs, cl.Close())
	}
	return errors.Join(errs...)
}

func newDecoder(op Op, r io.Reader) (io.Reader, io.Closer, error) {
	switch op {
	case OpGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("reading gzip header: %w", err)
		}
		return zr, zr, nil
	case OpBzip2:
		return bzip2.NewReader(r), nil, nil
	case OpXz:
		xr, err := xz.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("reading xz header: %w", err)
		}
		return xr, nil, nil
	case OpZstd:
		// Windows up to 128 MiB, the zstd CLI's default limit (enough for --ultra -22).
		zr, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, nil, err
		}
		return zr, closerFunc(zr.Close), nil
	default:
		return nil, nil, fmt.Errorf("operation %s: %w", op, ErrUnsupportedOperation)
	}
}

type closerFunc func()

func (f closerFunc) Close() error { f(); return nil }
