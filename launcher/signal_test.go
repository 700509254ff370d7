//go:build unix

package launcher

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/packer"
)

// waitFile waits until path exists (the child says it is ready) or the command exits.
func waitFile(t *testing.T, path string, exited <-chan struct{}) {
	t.Helper()
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-exited:
			t.Fatalf("the package exited before %s appeared", path)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestSpawnForwardsSignals(t *testing.T) {
	script := `#!/bin/sh
trap 'echo "got $1"; exit 7' TERM
trap 'echo "got $1"; exit 8' INT
trap 'echo "got $1"; exit 9' HUP
: > "$READY"
while :; do sleep 0.05; done
`
	pkg := writePackage(t, packer.Spec{
		Name:      "sig",
		Execution: packer.Execution{Command: "{workenv}/bin/trap"},
		Slots:     []packer.Slot{treeSlot(t, "app", files{"bin/trap": script})},
	})
	r := newRunner(t, "FLAVOR_EXEC_MODE=spawn")
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 7}, {syscall.SIGINT, 8}, {syscall.SIGHUP, 9}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			ready := filepath.Join(t.TempDir(), "ready")
			c := r.cmd(pkg, []string{"READY=" + ready}, tt.sig.String())
			res := startAndSignal(t, c, ready, tt.sig)
			if res.code != tt.code || res.stdout != "got "+tt.sig.String()+"\n" {
				t.Fatalf("after %v: want exit %d and the child's trap output, got %s", tt.sig, tt.code, res)
			}
		})
	}
}

func TestSpawnShutdownTimeoutKills(t *testing.T) {
	// The child ignores SIGTERM: after shutdown_timeout (1 s) the launcher kills it and reports
	// 128+SIGKILL.
	script := "#!/bin/sh\ntrap '' TERM\n: > \"$READY\"\nwhile :; do sleep 0.05; done\n"
	pkg := writePackage(t, packer.Spec{
		Name: "stubborn",
		Execution: packer.Execution{Command: "{workenv}/bin/stubborn",
			Signals: &packer.Signals{Forward: true, ShutdownTimeout: 1}},
		Slots: []packer.Slot{treeSlot(t, "app", files{"bin/stubborn": script})},
	})
	r := newRunner(t, "FLAVOR_EXEC_MODE=spawn")
	ready := filepath.Join(t.TempDir(), "ready")
	res := startAndSignal(t, r.cmd(pkg, []string{"READY=" + ready}), ready, syscall.SIGTERM)
	if res.code != 128+int(syscall.SIGKILL) {
		t.Fatalf("want exit %d (killed after the shutdown timeout), got %s", 128+int(syscall.SIGKILL), res)
	}
}

// startAndSignal starts c, waits for the ready file, sends sig to the launcher and waits.
func startAndSignal(t *testing.T, c *exec.Cmd, ready string, sig syscall.Signal) result {
	t.Helper()
	var out, errb safeBuffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var werr error
	go func() { werr = c.Wait(); close(exited) }()
	waitFile(t, ready, exited)
	if err := c.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	<-exited
	res := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		res.code = ee.ExitCode()
	} else if werr != nil {
		t.Fatal(werr)
	}
	return res
}
