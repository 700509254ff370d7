//go:build windows

package launcher

import (
	"errors"
	"os"
)

// canExec reports whether this platform can replace the launcher with the command: Windows has no
// execve, so the launcher always spawns there.
const canExec = false

func execProgram(string, []string, []string) error {
	return errors.New("execve is not available on windows")
}

// forwarded are the signals a spawning launcher catches. On Windows a console Ctrl-C reaches every
// process of the console by itself, so the launcher only stays alive to wait for its child.
var forwarded = []os.Signal{os.Interrupt}

// forward is a no-op on Windows: the child got the console event already.
func forward(*os.Process, os.Signal) error { return nil }

func exitStatus(st *os.ProcessState) int { return st.ExitCode() }
