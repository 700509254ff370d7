//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/flavor-dev/flavor/delta"
)

// The delta tests drive the engine with the docker CLI: the delta library never talks to an
// engine itself, and these helpers stand in for what the build package wires up.

var (
	deltaSetupOnce sync.Once
	deltaSetupErr  error
)

// deltaSetup runs integration/setup.sh once per test binary; the tests fail, never skip, when it
// fails. (A sync.Once rather than a TestMain, so it composes with other files' TestMain.)
func deltaSetup(t testing.TB) {
	t.Helper()
	deltaSetupOnce.Do(func() {
		if os.Getenv("FLAVOR_SKIP_SETUP") != "" {
			return
		}
		cmd := exec.Command("bash", "setup.sh")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			deltaSetupErr = fmt.Errorf("integration/setup.sh: %v\n%s", err, out.String())
		}
	})
	if deltaSetupErr != nil {
		t.Fatal(deltaSetupErr)
	}
}

// deltaDocker runs the docker CLI and returns its trimmed standard output.
func deltaDocker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := deltaDockerErr(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func deltaDockerErr(args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// deltaBuild runs script in a new container from image until it exits, like a package stage,
// and returns the stopped container's id. The container is removed when the test ends.
func deltaBuild(t testing.TB, image, script string) string {
	t.Helper()
	id := deltaDocker(t, "create", "--label", "flavor-delta-test=1", image, "sh", "-ec", script)
	t.Cleanup(func() { deltaDockerErr("rm", "-f", id) })
	deltaDocker(t, "start", "-a", id)
	if code := deltaDocker(t, "inspect", "--format", "{{.State.ExitCode}}", id); code != "0" {
		t.Fatalf("build steps exited with %s", code)
	}
	return id
}

// deltaOverlayOf reads a container's overlay directories from `docker inspect`.
func deltaOverlayOf(t testing.TB, id string) delta.Overlay {
	t.Helper()
	var gd struct {
		Name string
		Data struct{ UpperDir, LowerDir string }
	}
	if err := json.Unmarshal([]byte(deltaDocker(t, "inspect", "--format", "{{json .GraphDriver}}", id)), &gd); err != nil {
		t.Fatal(err)
	}
	if gd.Name != "overlay2" || gd.Data.UpperDir == "" {
		t.Fatalf("the engine's storage is %q with upper dir %q; these tests need overlay2", gd.Name, gd.Data.UpperDir)
	}
	return delta.ParseOverlay(gd.Data.UpperDir, gd.Data.LowerDir)
}

// deltaCLISource is a delta.ChangeSource over the docker CLI: `docker diff` for the change list
// and `docker cp CONTAINER:PATH -` for single paths, from the build container and from a
// container created (never started) from the builder image.
type deltaCLISource struct {
	container, base string
}

func newDeltaCLISource(t testing.TB, container, image string) *deltaCLISource {
	t.Helper()
	base := deltaDocker(t, "create", "--label", "flavor-delta-test=1", image, "true")
	t.Cleanup(func() { deltaDockerErr("rm", "-f", base) })
	return &deltaCLISource{container: container, base: base}
}

var _ delta.ChangeSource = (*deltaCLISource)(nil)

func (s *deltaCLISource) Changes(ctx context.Context) ([]delta.Change, error) {
	out, err := exec.CommandContext(ctx, "docker", "diff", s.container).Output()
	if err != nil {
		return nil, fmt.Errorf("docker diff %s: %w", s.container, err)
	}
	kinds := map[string]delta.ChangeKind{"C": delta.ChangeModify, "A": delta.ChangeAdd, "D": delta.ChangeDelete}
	var changes []delta.Change
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		kind, p, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		k, known := kinds[kind]
		if !known {
			return nil, fmt.Errorf("docker diff %s: unknown line %q", s.container, line)
		}
		changes = append(changes, delta.Change{Path: p, Kind: k})
	}
	return changes, nil
}

func (s *deltaCLISource) ReadPath(ctx context.Context, p string) (io.ReadCloser, error) {
	return deltaCopyOut(ctx, s.container, p)
}

func (s *deltaCLISource) ReadBasePath(ctx context.Context, p string) (io.ReadCloser, error) {
	return deltaCopyOut(ctx, s.base, p)
}

// deltaCopyOut streams `docker cp id:p -`. Closing the stream early stops the copy.
func deltaCopyOut(ctx context.Context, id, p string) (io.ReadCloser, error) {
	cmd := exec.CommandContext(ctx, "docker", "cp", id+":"+p, "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(out, 64<<10)
	if _, err := br.Peek(1); err != nil {
		werr := cmd.Wait()
		msg := stderr.String()
		if strings.Contains(msg, "Could not find the file") || strings.Contains(msg, "No such container:path") {
			return nil, fmt.Errorf("docker cp %s:%s: %w", id, p, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("docker cp %s:%s: %v %v: %s", id, p, err, werr, msg)
	}
	return &deltaCopyStream{cmd: cmd, out: out, r: br}, nil
}

type deltaCopyStream struct {
	cmd *exec.Cmd
	out io.ReadCloser
	r   io.Reader
}

func (s *deltaCopyStream) Read(p []byte) (int, error) { return s.r.Read(p) }

func (s *deltaCopyStream) Close() error {
	s.out.Close()
	s.cmd.Process.Kill() // our own child, by pid; already gone when the copy finished
	s.cmd.Wait()
	return nil
}
