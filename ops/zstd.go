package ops

import (
	"io"

	"github.com/klauspost/compress/zstd"
)

// Zstd is Zstandard compression (code 0x1B), "tar.zst" after tar: flavor's default for
// directories. Writing cuts the input into independent frames compressed in parallel
// (zstd_frames.go).
const Zstd Op = 0x1B

var zstdDef = definition{op: Zstd, name: "zstd", aliases: []string{"zst"}, ext: "zst", tarred: []string{"tzst"}, codec: zstdCodec{}}

var _ = define(&zstdDef)

type zstdCodec struct{}

// newReader accepts windows up to 128 MiB, the zstd CLI's default limit (enough for --ultra -22).
func (zstdCodec) newReader(r io.Reader) (io.ReadCloser, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(1<<27))
	if err != nil {
		return nil, err
	}
	return zr.IOReadCloser(), nil
}

func (zstdCodec) newWriter(w io.Writer, concurrency int) (io.WriteCloser, error) {
	return newZstdWriter(w, concurrency)
}
