package ops

import (
	"compress/bzip2"
	"io"
)

// Bzip2 is bzip2 compression (code 0x13), "tar.bz2" after tar.
const Bzip2 Op = 0x13

var bzip2Def = definition{op: Bzip2, name: "bzip2", aliases: []string{"bz2"}, ext: "bz2", tarred: []string{"tbz2", "tbz"}, codec: bzip2Codec{}}

var _ = define(&bzip2Def)

type bzip2Codec struct{}

// newReader uses the standard library's decoder (small; the launcher links it).
func (bzip2Codec) newReader(r io.Reader) (io.ReadCloser, error) {
	return io.NopCloser(bzip2.NewReader(r)), nil
}
