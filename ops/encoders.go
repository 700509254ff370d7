//go:build !flavorlauncher

package ops

import (
	"io"

	dsbzip2 "github.com/dsnet/compress/bzip2"
	kgzip "github.com/klauspost/compress/gzip"
)

// The encoders whose libraries only writing needs. The launcher, built with the flavorlauncher
// tag (internal/launcherbuild), leaves them out: it never writes, and their packages'
// initialisers would run at every start.

// newWriter leaves the header fields zero (mtime 0, no name), so the output is deterministic.
func (gzipCodec) newWriter(w io.Writer, _ int) (io.WriteCloser, error) {
	return kgzip.NewWriterLevel(w, kgzip.DefaultCompression)
}

func (bzip2Codec) newWriter(w io.Writer, _ int) (io.WriteCloser, error) {
	return dsbzip2.NewWriter(w, &dsbzip2.WriterConfig{Level: dsbzip2.DefaultCompression})
}
