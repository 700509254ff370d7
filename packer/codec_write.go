package packer

import (
	"errors"
	"io"

	"github.com/flavor-dev/flavor/ops"
)

// The encoders are package ops's codecs. Only this file calls ops.NewWriter, so a program that
// never writes (the launcher) links no encoder.

// encodeChain returns a writer that applies the chain's compressions (TAR excluded: the caller
// supplies a tar stream) in order and writes the result to w. Closing it flushes every stage; it
// does not close w.
func encodeChain(w io.Writer, c ops.Chain, concurrency int) (io.WriteCloser, error) {
	stages := make([]io.WriteCloser, 0, len(c))
	out := w
	for i := len(c) - 1; i >= 0; i-- {
		if c[i] == ops.Tar {
			continue
		}
		enc, err := ops.NewWriter(c[i], out, concurrency)
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

// ReadFrom passes r to the first stage's own ReadFrom when it has one (the zstd writer does).
func (c *chainWriter) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.head.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c}, r)
}

func (c *chainWriter) Close() error {
	var errs []error
	for _, s := range c.stages {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
