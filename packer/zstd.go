package packer

import (
	"io"

	"github.com/klauspost/compress/zstd"
)

// newZstdWriter returns the zstd encoder used for slots: default level, the stream encoder with
// up to concurrency goroutines.
func newZstdWriter(w io.Writer, concurrency int) (io.WriteCloser, error) {
	return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(concurrency))
}
