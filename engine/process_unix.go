//go:build unix

package engine

import (
	"errors"
	"syscall"
)

// processGone reports whether no process pid exists (signal 0 answers ESRCH).
func processGone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }
