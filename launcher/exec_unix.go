//go:build unix

package launcher

import (
	"os"
	"syscall"
)

// canExec reports whether this platform can replace the launcher with the command.
const canExec = true

// execProgram replaces the launcher with the program: same PID, same stdio, and the program's exit
// status becomes the package's. It returns only on failure.
func execProgram(path string, argv, env []string) error {
	return os.NewSyscallError("execve", syscall.Exec(path, argv, env))
}

// forwarded are the signals a spawning launcher passes on to its child.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// forward passes sig on to the child.
func forward(p *os.Process, sig os.Signal) error { return p.Signal(sig) }

// exitStatus is the exit code a shell would report for the child: its status, or 128+N when
// signal N killed it.
func exitStatus(st *os.ProcessState) int {
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return st.ExitCode()
}
