//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/engine/docker"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

var (
	flavorBinOnce sync.Once
	flavorBinPath string
	flavorBinErr  error
)

// flavorBin builds cmd/flavor once per test binary.
func flavorBin(t *testing.T) string {
	t.Helper()
	flavorBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "flavor-bin-")
		if err != nil {
			flavorBinErr = err
			return
		}
		flavorBinPath = filepath.Join(dir, "flavor")
		out, err := exec.Command("go", "build", "-o", flavorBinPath, "../cmd/flavor").CombinedOutput()
		if err != nil {
			flavorBinErr = fmt.Errorf("go build ./cmd/flavor: %v\n%s", err, out)
		}
	})
	if flavorBinErr != nil {
		t.Fatal(flavorBinErr)
	}
	return flavorBinPath
}

// creations counts the containers the engine created for flavor process pid between since and
// until, from the engine's event stream (not from flavor's own counting).
func creations(t *testing.T, pid int, since, until time.Time) int {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	host, _ := os.Hostname()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, errs := cli.Events(ctx, events.ListOptions{
		Since: strconv.FormatInt(since.Unix()-1, 10), Until: strconv.FormatInt(until.Unix()+1, 10),
		Filters: filters.NewArgs(filters.Arg("type", "container"), filters.Arg("event", "create"),
			filters.Arg("label", fmt.Sprintf("%s=%s:%d", engine.LabelOwner, host, pid))),
	})
	n := 0
	for {
		select {
		case <-msgs:
			n++
		case err := <-errs:
			if err != nil && err != io.EOF {
				t.Fatalf("reading engine events: %v", err)
			}
			return n
		}
	}
}

// flavorRun is a running `flavor` process whose error stream is read line by line.
type flavorRun struct {
	cmd   *exec.Cmd
	lines chan string
	out   bytes.Buffer
	mu    sync.Mutex
	done  chan error
}

func startFlavor(t *testing.T, args ...string) *flavorRun {
	t.Helper()
	return startCommand(t, exec.Command(flavorBin(t), args...))
}

// startCommand starts cmd, a flavor process or a wrapper around one, reading its error stream.
func startCommand(t *testing.T, cmd *exec.Cmd) *flavorRun {
	t.Helper()
	cmd.Env = append(os.Environ(), "FLAVOR_PROGRESS=plain")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &flavorRun{cmd: cmd, lines: make(chan string, 1024), done: make(chan error, 1)}
	cmd.Stdout = &r.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case r.lines <- sc.Text():
			default:
			}
		}
		close(r.lines)
		r.done <- cmd.Wait()
	}()
	return r
}

// waitFor reads error lines until one contains s.
func (r *flavorRun) waitFor(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(5 * time.Minute)
	var seen []string
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				t.Fatalf("flavor exited before printing %q; it printed:\n%s", s, strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if strings.Contains(l, s) {
				return
			}
		case <-timeout:
			t.Fatalf("flavor did not print %q; it printed:\n%s", s, strings.Join(seen, "\n"))
		}
	}
}

// wait drains the error stream and returns the exit code.
func (r *flavorRun) wait(t *testing.T) (int, string) {
	t.Helper()
	var rest []string
	for l := range r.lines {
		rest = append(rest, l)
	}
	err := <-r.done
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return code, strings.Join(rest, "\n")
}

// ownedBy lists the flavor containers of process pid.
func ownedBy(t *testing.T, d *docker.Docker, pid int) []engine.ManagedContainer {
	t.Helper()
	host, _ := os.Hostname()
	all, err := d.Managed(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []engine.ManagedContainer
	for _, c := range all {
		if c.Owner == fmt.Sprintf("%s:%d", host, pid) {
			out = append(out, c)
		}
	}
	return out
}

// TestBuildCLIInterrupt: SIGINT or SIGTERM during a `sleep 30` step makes flavor remove its
// containers and exit at once with 128 + the signal's number (130, 143), as shells report it.
func TestBuildCLIInterrupt(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			r := startFlavor(t, "build", "--tree", buildTrees("sleep"), "--destination", t.TempDir(), "--cache", t.TempDir(), "test/s")
			r.waitFor(t, "| started")
			pid := r.cmd.Process.Pid
			if n := len(ownedBy(t, d, pid)); n == 0 {
				t.Fatalf("no container of flavor process %d while its step runs", pid)
			}
			start := time.Now()
			if err := r.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			code, rest := r.wait(t)
			if code != tc.want {
				t.Errorf("exit code %d after %v, want %d; stderr:\n%s", code, tc.sig, tc.want, rest)
			}
			if left := ownedBy(t, d, pid); len(left) != 0 {
				t.Errorf("containers left after %v: %+v", tc.sig, left)
			}
			t.Logf("interrupted build exited %v after %v (the step had ~30 s to go)", time.Since(start).Round(time.Millisecond), tc.sig)
		})
	}
}

// TestBuildCLIKilled: SIGKILL leaves the build's containers, which the engine stops as the killed
// process's connections drop; the next `flavor build` removes them before it starts. Not
// parallel: any other flavor build on the engine may remove the leftovers first (its own
// "removed" line), and this test checks that the next build says it removed them.
func TestBuildCLIKilled(t *testing.T) {
	d := dockerEngine(t)
	ensureBusybox(t, d)
	r := startFlavor(t, "build", "--tree", buildTrees("sleep"), "--destination", t.TempDir(), "--cache", t.TempDir(), "test/s")
	r.waitFor(t, "| started")
	pid := r.cmd.Process.Pid
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	r.wait(t)
	left := ownedBy(t, d, pid)
	if len(left) == 0 {
		t.Fatalf("SIGKILL left no container; the test cannot show their removal")
	}
	// The engine ends them itself: the killed process's attach connections are gone.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		running := 0
		for _, c := range ownedBy(t, d, pid) {
			if c.State == "running" {
				running++
			}
		}
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d containers of the killed flavor still run 20 s later; the engine should end them when its connection drops", running)
		}
	}
	next := startFlavor(t, "build", "--tree", luetFixtures("virtuals"), "--destination", t.TempDir(), "--cache", t.TempDir(), "test/a")
	code, out := next.wait(t)
	if code != 0 {
		t.Fatalf("next build exited %d:\n%s", code, out)
	}
	if !strings.Contains(out, "removed") || !strings.Contains(out, "left by killed flavor processes") {
		t.Errorf("the next build does not say it removed leftovers:\n%s", out)
	}
	if still := ownedBy(t, d, pid); len(still) != 0 {
		t.Errorf("the killed build's containers are still there: %+v", still)
	}
}

// TestBuildCLIRebuildStartsNoContainer runs the real command twice on one cache and counts
// container creations in the engine's event stream: the second run creates none. JSON output
// reports every artifact as cached.
func TestBuildCLIRebuildStartsNoContainer(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	cache, dest := t.TempDir(), t.TempDir()
	args := []string{"--output-format", "json", "build", "--tree", luetFixtures("buildableseed"), "--destination", dest, "--cache", cache, "test/d"}
	first := startFlavor(t, args...)
	if code, out := first.wait(t); code != 0 {
		t.Fatalf("first build exited %d:\n%s", code, out)
	}
	start := time.Now()
	second := startFlavor(t, args...)
	code, out := second.wait(t)
	end := time.Now()
	if code != 0 {
		t.Fatalf("second build exited %d:\n%s", code, out)
	}
	if n := creations(t, second.cmd.Process.Pid, start, end); n != 0 {
		t.Errorf("the engine created %d containers for the unchanged rebuild", n)
	}
	if n := creations(t, first.cmd.Process.Pid, start.Add(-10*time.Minute), start); n == 0 {
		t.Errorf("the event count sees no creation for the first build either; it cannot be trusted")
	}
	var rep struct {
		Artifacts  []struct{ Package, Source, Artifact string }
		Containers int
	}
	if err := json.Unmarshal(second.out.Bytes(), &rep); err != nil {
		t.Fatalf("decoding %q: %v", second.out.String(), err)
	}
	if len(rep.Artifacts) != 3 || rep.Containers != 0 {
		t.Errorf("report %+v", rep)
	}
	for _, a := range rep.Artifacts {
		if a.Source != "cached" {
			t.Errorf("%s: %s", a.Package, a.Source)
		}
		if _, err := os.Stat(a.Artifact); err != nil {
			t.Errorf("%s: %v", a.Package, err)
		}
	}
	if !strings.Contains(out, "[test/d@1.0 linux/amd64] cached") {
		t.Errorf("plain progress lacks the cached line:\n%s", out)
	}
}
