//go:build unix

package launcher

import (
	"io"
	"os"
	"syscall"
)

// rawFile is a file opened for the few small reads of a warm start with plain system calls. It
// never follows a symbolic link at the last component: state files in the cache are the
// launcher's own, never links. On
// Unix, os.Open registers every file with the runtime's network poller; the first registration
// creates the poller (an epoll instance and an eventfd on Linux) and each one costs a few more
// calls, all for files that can never block.
type rawFile struct{ fd int }

func openRaw(path string) (rawFile, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return rawFile{-1}, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return rawFile{fd}, nil
	}
}

func (f rawFile) size() (int64, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(f.fd, &st); err != nil {
		return 0, err
	}
	return st.Size, nil
}

// readAt fills b from offset off; a file too short for it is io.ErrUnexpectedEOF.
func (f rawFile) readAt(b []byte, off int64) error {
	for len(b) > 0 {
		n, err := syscall.Pread(f.fd, b, off)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return err
		case n == 0:
			return io.ErrUnexpectedEOF
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

func (f rawFile) close() { syscall.Close(f.fd) }
