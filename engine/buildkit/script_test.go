package buildkit

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestScriptStopsAtFailingLine: the stage script runs each line with /bin/sh -c in the work
// directory, stops at the first failing one with its exit code, and its marker line parses
// into a StepError naming that line.
func TestScriptStopsAtFailingLine(t *testing.T) {
	dir := t.TempDir()
	lines := []string{"pwd", `echo "it's quoted"`, "echo ok; exit 7", "echo never"}
	out, err := exec.Command("/bin/sh", "-c", script("step", dir, lines)).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("want exit 7, got %v\n%s", err, out)
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != 4 || got[0] != dir || got[1] != "it's quoted" || got[2] != "ok" {
		t.Fatalf("output %q", got)
	}
	j := Job{Package: "cat/p@1", Steps: lines}
	se := parseMarker(j, got[3])
	if se == nil || se.Index != 3 || se.ExitCode != 7 || se.Command != lines[2] || se.Count != 4 {
		t.Fatalf("marker %q parsed as %+v", got[3], se)
	}
	if parseMarker(j, "flavor-buildkit-failed:step:9:1") != nil || parseMarker(j, "plain output") != nil {
		t.Error("a marker naming no step, or plain output, parsed as a failure")
	}
}
