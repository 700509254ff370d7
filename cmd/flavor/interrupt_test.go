//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPackInterrupted runs the flavor binary on a slot too big to finish (4096 sparse files of
// 16 MiB; packer checks for cancellation between files, not inside one),
// sends SIGINT or SIGTERM once packing is under way, and checks that flavor exits 128 + the
// signal's number (130, 143) leaving no file behind: neither a package nor a temporary one.
func TestPackInterrupted(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "flavor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building flavor: %v\n%s", err, out)
	}
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4096; i++ {
		f, err := os.Create(filepath.Join(src, fmt.Sprintf("sparse%04d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(16 << 20); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	manifest := filepath.Join(dir, "flavor.toml")
	os.WriteFile(manifest, []byte("schema-version = \"1\"\n[package]\nname = \"big\"\nversion = \"1\"\n[execution]\ncommand = \"true\"\n"+
		"[[slots]]\nid = \"big\"\nsource = \"src/\"\n"), 0o644)
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			out := filepath.Join(dir, "out-"+fmt.Sprint(int(tc.sig)))
			os.MkdirAll(out, 0o755)
			packInterrupted(t, bin, manifest, out, tc.sig, tc.want)
		})
	}
	// SIGKILL leaves the slot spool; `flavor clean --output` removes it.
	t.Run("killed", func(t *testing.T) {
		out := filepath.Join(dir, "out-killed")
		os.MkdirAll(out, 0o755)
		packInterrupted(t, bin, manifest, out, syscall.SIGKILL, -1)
		left, _ := filepath.Glob(filepath.Join(out, ".big-1-*.psp.*.slots"))
		if len(left) != 1 {
			t.Fatalf("a killed pack left %v; want its slot spool (the test shows its removal)", left)
		}
		if fi, err := os.Stat(left[0]); err == nil && fi.Size() == 0 {
			// Killed before its first write: an empty file is given a minute (see packer.freshGrace).
			old := time.Now().Add(-2 * time.Minute)
			os.Chtimes(left[0], old, old)
		}
		cmd := exec.Command(bin, "clean", "--output", out)
		cmd.Env = append(os.Environ(), "FLAVOR_CACHE="+filepath.Join(dir, "cache"))
		if msg, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(msg), "working file of a killed pack") {
			t.Fatalf("flavor clean: %v\n%s", err, msg)
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Errorf("after clean the output holds %v", ents)
		}
	})
}

func packInterrupted(t *testing.T, bin, manifest, out string, sig syscall.Signal, want int) {
	cmd := exec.Command(bin, "pack", "-m", manifest, "--launcher-bin", launcherBin, "--key-seed", "k", "-o", out, "--progress", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var u struct {
			Stage string
			Done  int64
		}
		if json.Unmarshal(sc.Bytes(), &u) == nil && u.Stage == "slot" && u.Done > 0 {
			break
		}
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() { // drain until flavor exits
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != want {
		t.Fatalf("exit %d after %v, want %d", code, sig, want)
	}
	if sig == syscall.SIGKILL {
		return // nothing ran to clean up
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		t.Errorf("an interrupted pack left %s", e.Name())
	}
}
