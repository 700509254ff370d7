package ops

import (
	"compress/gzip"
	"fmt"
	"io"
)

// Gzip is gzip compression (code 0x10), "tar.gz" after tar; the one compression every PSPF
// launcher reads.
const Gzip Op = 0x10

var gzipDef = definition{op: Gzip, name: "gzip", aliases: []string{"gz"}, ext: "gz", tarred: []string{"tgz", "taz"}, codec: gzipCodec{}}

var _ = define(&gzipDef)

type gzipCodec struct{}

// newReader uses the standard library's reader: klauspost's is no faster at inflating, and the
// launcher would link a second inflater.
func (gzipCodec) newReader(r io.Reader) (io.ReadCloser, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("reading gzip header: %w", err)
	}
	return zr, nil
}
