package packer

import (
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

	dsbzip2 "github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// encodeChain returns a writer that applies the chain's compressions (TAR excluded: the caller
// supplies a tar stream) in order and writes the result to w. Closing it flushes every stage; it
// does not close w.
func encodeChain(w io.Writer, c Chain, concurrency int) (io.WriteCloser, error) {
	stages := make([]io.WriteCloser, 0, len(c))
	out := w
	for i := len(c) - 1; i >= 0; i-- {
		if c[i] == OpTar {
			continue
		}
		enc, err := newEncoder(c[i], out, concurrency)
		if err != nil {
			for _, s := range stages {
				s.Close()
			}
			return nil, err
		}
		stages = append([]io.WriteCloser{enc}, stages...)
		out = enc
	}
	return &chainWriter{head: out, stages: stages}, nil
}

type chainWriter struct {
	head   io.Writer
	stages []io.WriteCloser // first operation first; closing in this order flushes downstream
}

func (c *chainWriter) Write(b []byte) (int, error) { return c.head.Write(b) }

func (c *chainWriter) Close() error {
	var errs []error
	for _, s := range c.stages {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

func newEncoder(op Op, w io.Writer, concurrency int) (io.WriteCloser, error) {
	switch op {
	case OpGzip:
		// Header fields stay zero: mtime 0, no name, so the output is deterministic.
		return gzip.NewWriterLevel(w, gzip.DefaultCompression)
	case OpBzip2:
		return dsbzip2.NewWriter(w, &dsbzip2.WriterConfig{Level: dsbzip2.DefaultCompression})
	case OpXz:
		return xz.WriterConfig{}.NewWriter(w)
	case OpZstd:
		return newZstdWriter(w, concurrency)
	default:
		return nil, fmt.Errorf("encoding %s: %w", op, ErrUnsupportedOperation)
	}
}

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
