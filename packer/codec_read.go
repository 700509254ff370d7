package packer

import (
	"errors"
	"fmt"
	"io"

	"github.com/flavor-dev/flavor/ops"
)

// The decoders are package ops's codecs (one file per operation there).

// decodeChain returns a reader of the decoded content of stored bytes encoded with c: the
// inverse operations from the last to the first (TAR is left to the caller). Close releases
// decoder resources; it does not close r.
func decodeChain(r io.Reader, c ops.Chain) (io.ReadCloser, error) {
	var closers []io.Closer
	out := r
	for i := len(c) - 1; i >= 0; i-- {
		if c[i] == ops.Tar {
			if i != 0 {
				return nil, fmt.Errorf("decoding %s: tar is not the first operation: %w", c, ErrUnsupportedOperation)
			}
			continue
		}
		dec, err := ops.NewReader(c[i], out)
		if err != nil {
			for _, cl := range closers {
				cl.Close()
			}
			return nil, fmt.Errorf("decoding %s: %w", c, err)
		}
		closers = append(closers, dec)
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
