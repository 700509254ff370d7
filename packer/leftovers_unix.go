//go:build unix

package packer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// holdWorkingFile takes the exclusive flock that tells RemoveLeftovers f belongs to a live Write;
// it goes with the process.
func holdWorkingFile(f *os.File) error {
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	return nil
}

// heldByWriter reports whether a live Write holds f. When it does not, f is left locked (until
// it is closed), so no Write can take it meanwhile.
func heldByWriter(f *os.File, _ fs.FileInfo) (bool, error) {
	err := flock(f, unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	return false, nil
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
