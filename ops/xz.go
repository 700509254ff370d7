package ops

import (
	"fmt"
	"io"

	"github.com/ulikunitz/xz"
)

// Xz is xz compression (code 0x16), "tar.xz" after tar.
const Xz Op = 0x16

var xzDef = definition{op: Xz, name: "xz", ext: "xz", tarred: []string{"txz"}, codec: xzCodec{}}

var _ = define(&xzDef)

type xzCodec struct{}

func (xzCodec) newReader(r io.Reader) (io.ReadCloser, error) {
	xr, err := xz.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("reading xz header: %w", err)
	}
	return io.NopCloser(xr), nil
}

func (xzCodec) newWriter(w io.Writer, _ int) (io.WriteCloser, error) {
	return xz.WriterConfig{}.NewWriter(w)
}
