//go:build integration

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/delta"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/engine/buildkit"
)

func buildkitClient(t *testing.T) *buildkit.Client {
	t.Helper()
	c, err := buildkit.New(context.Background(), "unix://"+buildkitSocket())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestBuildKitJobDeltaMatchesDocker: a package's steps built as LLB states (context at
// /luetbuild, env, steps, llb.Diff of the package stage over the builder stage) give the tree
// the Docker engine's overlay delta gives for the same commands, byte for byte; step output
// streams through Output.
func TestBuildKitJobDeltaMatchesDocker(t *testing.T) {
	ctx := context.Background()
	ref := testRegistry() + "/debian:bookworm"
	d := dockerEngine(t)
	id, err := d.Create(ctx, engine.ContainerSpec{Image: ref, Platform: amd64, Package: "test/bkjob"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Remove(context.Background(), id) })
	var out bytes.Buffer
	if code, err := d.Exec(ctx, id, engine.ExecSpec{Cmd: []string{"/bin/sh", "-c", layerStep}, Stdout: &out, Stderr: &out}); err != nil || code != 0 {
		t.Fatalf("step in docker: exit %d, %v\n%s", code, err, out.String())
	}
	dirs, ok, err := d.OverlayDirs(ctx, id)
	if err != nil || !ok {
		t.Fatalf("overlay dirs: %v, %v", ok, err)
	}
	want, err := delta.FromOverlay(ctx, delta.Overlay{Upper: dirs.Upper, Lowers: dirs.Lower})
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()

	pkgDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(pkgDir, "build.yaml"), []byte("steps: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	steps := append([]string{"echo output-of-$NAME"}, strings.Split(layerStep, " && ")...)
	sol, err := buildkitClient(t).Solve(ctx, &engine.Job{Package: "test/bkjob", Image: ref, Platform: amd64,
		// RUN differs per run: buildkitd keeps its cache between runs, and a cached solve runs no
		// step, so it would stream no output.
		Env: []string{"NAME=bkjob", fmt.Sprintf("RUN=%d", time.Now().UnixNano())}, Context: pkgDir, WorkDir: delta.DefaultBuildDir, Steps: steps,
		Report: func(o engine.Output) { mu.Lock(); lines = append(lines, o.Line); mu.Unlock() }}, engine.Want{Kind: engine.WantDelta})
	if err != nil {
		t.Fatal(err)
	}
	defer sol.Close()
	if sol.Executed != 1 {
		t.Errorf("executed %d run ops, want 1 (the steps)", sol.Executed)
	}
	var a bytes.Buffer
	if err := want.WriteTar(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if len(want.Files()) < 5 || len(want.Removed()) < 3 {
		t.Fatalf("the docker delta is too small to compare: files %v, removed %v", want.Files(), want.Removed())
	}
	// Read against the reverse diff (what flavor build does) and against the whole exported
	// builder stage (its fallback): both give Docker's tree.
	for _, how := range []string{"reverse diff", "whole builder stage"} {
		var base delta.Base
		if how == "reverse diff" {
			r, err := sol.BaseDiff()
			if err != nil {
				t.Fatal(err)
			}
			rev, err := delta.ReadReverseDiff(ctx, r, "")
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			defer rev.Close()
			base = rev
		} else {
			dir, err := sol.Base(ctx)
			if err != nil {
				t.Fatal(err)
			}
			base = delta.LowerDirs([]string{dir})
		}
		l, err := sol.Layer()
		if err != nil {
			t.Fatal(err)
		}
		got, err := delta.FromLayer(ctx, l, base)
		l.Close()
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		defer got.Close()
		var b bytes.Buffer
		if err := got.WriteTar(ctx, &b); err != nil {
			t.Fatal(err)
		}
		if !sameStrings(want.Removed(), got.Removed()) {
			t.Errorf("%s: removed: docker %v, buildkit %v", how, want.Removed(), got.Removed())
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: the trees differ: docker %v, buildkit %v", how, tarNames(t, a.Bytes()), tarNames(t, b.Bytes()))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !containsLine(lines, "output-of-bkjob") {
		t.Errorf("step output not streamed: %q", lines)
	}
}

func containsLine(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// TestBuildKitJobStepError: a failing step gives an error naming the package, the step and
// its exit code; a cancelled context stops a running step.
func TestBuildKitJobStepError(t *testing.T) {
	c := buildkitClient(t)
	ref := testRegistry() + "/debian:bookworm"
	job := &engine.Job{Package: "test/bkfail", Image: ref, Platform: amd64, WorkDir: delta.DefaultBuildDir,
		Steps: []string{"echo fine", "echo failing; exit 3", "echo never"}}
	_, err := c.Solve(context.Background(), job, engine.Want{Kind: engine.WantDelta})
	var se *engine.StepFailed
	if !errors.As(err, &se) || se.Index != 2 || se.ExitCode != 3 || se.Command != "echo failing; exit 3" {
		t.Fatalf("want step 2 exiting 3, got %v", err)
	}
	if !strings.Contains(err.Error(), "test/bkfail") || !strings.Contains(err.Error(), "code 3") {
		t.Errorf("error does not name the package and code: %v", err)
	}

	// A running step (an odd duration, so its process can be told from any other sleep on this
	// machine: buildkitd runs here, so the step's process is visible in /proc) is stopped by
	// cancelling the context, and does not outlive the solve.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	job = &engine.Job{Package: "test/bkfail", Image: ref, Platform: amd64, WorkDir: delta.DefaultBuildDir,
		Steps: []string{"sleep 1207"}}
	done := make(chan error, 1)
	go func() {
		_, err := c.Solve(ctx, job, engine.Want{Kind: engine.WantDelta})
		done <- err
	}()
	waitFor(t, "the step to start in buildkitd", func() bool { return len(processesWithArgs(t, "sleep", "1207")) > 0 })
	cancel()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the solve did not return within 60 s of cancelling")
	}
	if err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("want a stopped build, got %v", err)
	}
	waitFor(t, "the cancelled step to end", func() bool { return len(processesWithArgs(t, "sleep", "1207")) == 0 })
}

// waitFor polls cond for up to 60 s and fails the test, naming what, if it never holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 60 s for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// processesWithArgs returns the pids of this machine's processes whose command line is args.
func processesWithArgs(t *testing.T, args ...string) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(args, "\x00") + "\x00"
	var pids []string
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && string(b) == want {
			pids = append(pids, e.Name())
		}
	}
	return pids
}
