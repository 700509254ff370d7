//go:build flavorlauncher

package ops

import (
	"fmt"
	"io"
)

// The launcher's build (the flavorlauncher tag) reads slots only: gzip and bzip2 have no
// encoder in it (encoders.go).

func (gzipCodec) newWriter(io.Writer, int) (io.WriteCloser, error) {
	return nil, fmt.Errorf("encoding gzip in the launcher's build: %w", ErrUnsupported)
}

func (bzip2Codec) newWriter(io.Writer, int) (io.WriteCloser, error) {
	return nil, fmt.Errorf("encoding bzip2 in the launcher's build: %w", ErrUnsupported)
}
