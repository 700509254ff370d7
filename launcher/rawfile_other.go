//go:build !unix

package launcher

import (
	"io"
	"os"
)

// rawFile is a file opened for the few small reads of a warm start (see rawfile_unix.go; other
// systems use os.File).
type rawFile struct{ f *os.File }

func openRaw(path string) (rawFile, error) {
	f, err := os.Open(path)
	return rawFile{f}, err
}

func (f rawFile) size() (int64, error) {
	st, err := f.f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// readAt fills b from offset off; a file too short for it is io.ErrUnexpectedEOF.
func (f rawFile) readAt(b []byte, off int64) error {
	n, err := f.f.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (f rawFile) close() { f.f.Close() }
