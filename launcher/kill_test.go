//go:build unix

package launcher

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/packer"
)

// killGroup starts c in its own process group, waits until ready reports true, then SIGKILLs the
// whole group (launcher and anything it started) and waits for it.
func killGroup(t *testing.T, r *runner, pkg string, env []string, ready func() bool) {
	t.Helper()
	c := r.cmd(pkg, env)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	for !ready() {
		select {
		case err := <-exited:
			t.Fatalf("the first run ended before it could be killed: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	if err := syscall.Kill(-c.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
}

func TestKilledDuringSetupIsRedone(t *testing.T) {
	dir := t.TempDir()
	counter, ready := filepath.Join(dir, "extractions"), filepath.Join(dir, "ready")
	pkg := writePackage(t, packer.Spec{
		Name:          "slowsetup",
		Execution:     packer.Execution{Command: "sh {workenv}/bin/run"},
		SetupCommands: []packer.SetupCommand{{Command: "sh {workenv}/bin/setup " + counter + " " + ready}},
		Slots: []packer.Slot{treeSlot(t, "app", files{
			"bin/run":   "#!/bin/sh\ncat \"$FLAVOR_WORKENV/state\"\n",
			"bin/setup": "#!/bin/sh\necho x >> \"$1\"\nif [ -n \"$SLOW_SETUP\" ]; then : > \"$2\"; sleep 60; fi\necho set up > \"$FLAVOR_WORKENV/state\"\n",
		})},
	})
	r := newRunner(t)
	killGroup(t, r, pkg, []string{"SLOW_SETUP=1"}, func() bool { return pathExists(ready) })
	// The tree is in place but not marked complete: nobody may trust it.
	we := r.workenvs()
	if len(we) != 1 {
		t.Fatalf("workenvs after the kill: %v", we)
	}
	if err := os.WriteFile(filepath.Join(we[0], "probe"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r.mustRun(pkg, "set up\n", nil)
	if pathExists(filepath.Join(we[0], "probe")) {
		t.Fatal("the next run used the tree of the killed run")
	}
	if b, _ := os.ReadFile(counter); string(b) != "x\nx\n" {
		t.Fatalf("extractions %q, want two (the killed one and the redo)", b)
	}
	r.mustRun(pkg, "set up\n", nil)
	if b, _ := os.ReadFile(counter); string(b) != "x\nx\n" {
		t.Fatalf("extractions %q after a warm run, want still two", b)
	}
}

func TestKilledDuringExtractionLeavesNothingTrusted(t *testing.T) {
	big := make([]byte, 48<<20) // incompressible, so extraction takes a while
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	pkg := writePackage(t, packer.Spec{
		Name:      "bigslot",
		Execution: packer.Execution{Command: "sh {workenv}/bin/size"},
		Slots: []packer.Slot{treeSlot(t, "app", files{
			"bin/size": "#!/bin/sh\nwc -c < \"$FLAVOR_WORKENV/big.bin\" | tr -d ' '\n",
			"big.bin":  string(big),
		})},
	})
	r := newRunner(t)
	side := func() []string {
		m, _ := filepath.Glob(filepath.Join(r.cache, "workenv", ".bigslot-*.pspf", "stage-*"))
		return m
	}
	// Kill once a staging directory exists: extraction has begun.
	killGroup(t, r, pkg, nil, func() bool { return len(side()) > 0 })
	for _, w := range r.workenvs() {
		// If the kill came after the rename, the tree must at least not be marked complete.
		if m, _ := filepath.Glob(filepath.Join(r.cache, "workenv", "."+filepath.Base(w)+".pspf", "complete")); len(m) > 0 {
			t.Fatalf("a killed extraction left a completion marker")
		}
	}
	r.mustRun(pkg, "50331648\n", nil)
	if left := side(); len(left) != 0 {
		t.Fatalf("staging directories left behind: %v", left)
	}
	if n := len(r.workenvs()); n != 1 {
		t.Fatalf("%d workenvs, want 1", n)
	}
	if strings.Contains(strings.Join(r.workenvs(), ""), "stage") {
		t.Fatal("a staging directory became a workenv")
	}
}
