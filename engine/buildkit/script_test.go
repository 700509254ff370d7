package buildkit

import (
	"errors"
	"fmt"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
	"os/exec"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/platform"
)

// TestScriptStopsAtFailingLine: the stage script announces and runs each line with /bin/sh -c
// in the work directory, stops at the first failing one with its exit code, and its failure
// line parses into a StepFailed naming that line.
var amd64 = platform.Platform{OS: "linux", Arch: "amd64"}

func TestScriptStopsAtFailingLine(t *testing.T) {
	dir := t.TempDir()
	lines := []string{"pwd", `echo "it's quoted"`, "echo ok; exit 7", "echo never"}
	out, err := exec.Command("/bin/sh", "-c", script("step", dir, lines)).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("want exit 7, got %v\n%s", err, out)
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []string{startMarker + "step:1", dir, startMarker + "step:2", "it's quoted", startMarker + "step:3", "ok", "", failedMarker + "step:3:7"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("output\n%q\nwant\n%q", got, want)
	}
	j := &engine.Job{Package: "cat/p@1", Steps: lines}
	se := parseMarker(j, got[len(got)-1])
	if se == nil || se.Index != 3 || se.ExitCode != 7 || se.Command != lines[2] || se.Count != 4 || se.Stage != "step" {
		t.Fatalf("marker %q parsed as %+v", got[len(got)-1], se)
	}
	for _, l := range []string{failedMarker + "step:9:1", failedMarker + "other:1:1", "plain output"} {
		if parseMarker(j, l) != nil {
			t.Errorf("%q parsed as a failure", l)
		}
	}
}

// TestEscapeAndWild: context exclusions match only the path named; a database path becomes a
// wildcard that may match nothing.
func TestEscapeAndWild(t *testing.T) {
	if got := escapePattern("a*b[1]?c"); got != `a\*b\[1\]\?c` {
		t.Errorf("escapePattern: %q", got)
	}
	for in, want := range map[string]string{"/var/lib/dpkg/status": "/[v]ar/lib/dpkg/status", "/": "/", "/*a": "/*a"} {
		if got := wildFirst(in); got != want {
			t.Errorf("wildFirst(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWatchReportsPerJob: run-op logs become Output events of the job the op's name names,
// line by line even when a line arrives in pieces; the blank line before a failure marker is
// dropped, the failure is recorded, and only run ops whose script logged count as executed
// (not a cached one, nor a run op buildkitd reports completed and uncached but that logged
// nothing, as a registry-cache hit is reported).
func TestWatchReportsPerJob(t *testing.T) {
	dep := &engine.Job{Package: "cat/dep@1", Platform: amd64, Image: "x", Steps: []string{"make"}}
	top := &engine.Job{Package: "cat/top@2", Platform: amd64, From: dep, Steps: []string{"echo a", "false"}}
	var got []string
	report := func(o engine.Output) {
		got = append(got, fmt.Sprintf("%s %s %d/%d start=%v %q", o.Package, o.Stage, o.Index, o.Count, o.Start, o.Line))
	}
	dep.Report, top.Report = report, report
	g := newGraph()
	if _, _, err := g.stages(top); err != nil {
		t.Fatal(err)
	}
	s := &solve{g: g, j: top}
	now := time.Now()
	ch := make(chan *client.SolveStatus, 4)
	ch <- &client.SolveStatus{Vertexes: []*client.Vertex{
		{Digest: "sha256:1", Name: runPrefix + "steps of cat/dep@1 for linux/amd64", Completed: &now, Cached: true},
		{Digest: "sha256:2", Name: runPrefix + "steps of cat/top@2 for linux/amd64", Completed: &now},
		{Digest: "sha256:3", Name: "[internal] load metadata", Completed: &now},
		{Digest: "sha256:4", Name: runPrefix + "prelude of cat/top@2 for linux/amd64", Completed: &now},
	}}
	ch <- &client.SolveStatus{Logs: []*client.VertexLog{
		{Vertex: digest.Digest("sha256:2"), Data: []byte(startMarker + "step:1\na")},
		{Vertex: digest.Digest("sha256:3"), Data: []byte("not ours\n")},
	}}
	ch <- &client.SolveStatus{Logs: []*client.VertexLog{
		{Vertex: digest.Digest("sha256:2"), Data: []byte("\n" + startMarker + "step:2\n\n" + failedMarker + "step:2:1\n")},
	}}
	close(ch)
	s.watch(ch)
	want := []string{
		`cat/top@2 step 1/2 start=true ""`,
		`cat/top@2 step 1/2 start=false "a"`,
		`cat/top@2 step 2/2 start=true ""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s.fail == nil || s.fail.Package != "cat/top@2" || s.fail.Index != 2 || s.fail.Command != "false" {
		t.Errorf("failure %+v", s.fail)
	}
	if n := s.executed(); n != 1 {
		t.Errorf("executed %d run ops, want 1 (the cached one and the non-run op do not count)", n)
	}
}
