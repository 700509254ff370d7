//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/engine/docker"
	"github.com/flavor-dev/flavor/platform"
)

// run creates a container of busybox for p and returns it with a helper running shell lines.
func run(t *testing.T, d *docker.Docker, p platform.Platform) (string, func(line string) (string, int)) {
	t.Helper()
	ctx := context.Background()
	tag, _ := busybox(t, d, p)
	id, err := d.Create(ctx, engine.ContainerSpec{Image: tag, Platform: p, Package: "test/" + t.Name(),
		Env: []string{"PACKAGE_NAME=hello"}, WorkDir: "/"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Remove(context.Background(), id) })
	sh := func(line string) (string, int) {
		t.Helper()
		var out bytes.Buffer
		code, err := d.Exec(ctx, id, engine.ExecSpec{Cmd: []string{"/bin/sh", "-c", line}, Stdout: &out, Stderr: &out})
		if err != nil {
			t.Fatalf("exec %q: %v", line, err)
		}
		return out.String(), code
	}
	return id, sh
}

func TestArm64UnderEmulation(t *testing.T) {
	d := dockerEngine(t)
	ctx := context.Background()
	tag, id := busybox(t, d, arm64)
	info, err := d.InspectImage(ctx, tag)
	if err != nil {
		t.Fatal(err)
	}
	if info.Platform != arm64 || info.ID != id {
		t.Fatalf("engine has %s as %s (id %s), want linux/arm64 (id %s)", tag, info.Platform, info.ID, id)
	}
	if err := d.CanRun(ctx, arm64, tag); err != nil {
		t.Fatal(err)
	}
	_, sh := run(t, d, arm64)
	if out, code := sh("uname -m"); code != 0 || strings.TrimSpace(out) != "aarch64" {
		t.Fatalf("uname -m in an arm64 container: %q, exit %d", out, code)
	}
}

func TestCanRunWithoutBinfmt(t *testing.T) {
	ctx := context.Background()
	d, err := docker.New(ctx, append(engineEnv(), docker.WithBinfmtDir(t.TempDir()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	foreign := arm64
	if d.Platform().Arch == "arm64" {
		foreign = amd64
	}
	if err := d.CanRun(ctx, d.Platform(), ""); err != nil {
		t.Fatalf("native platform: %v", err)
	}
	err = d.CanRun(ctx, foreign, "")
	if !errors.Is(err, engine.ErrNoEmulation) || !strings.Contains(err.Error(), "qemu-user-static") || !strings.Contains(err.Error(), "integration/setup.sh") {
		t.Fatalf("missing binfmt handler: %v", err)
	}
}

func TestExecExitCodesAndEnv(t *testing.T) {
	d := dockerEngine(t)
	id, sh := run(t, d, amd64)
	for _, want := range []int{0, 1, 42} {
		if _, code := sh("exit " + strconv.Itoa(want)); code != want {
			t.Errorf("exit %d came back as %d", want, code)
		}
	}
	var stdout, stderr bytes.Buffer
	code, err := d.Exec(context.Background(), id, engine.ExecSpec{
		Cmd:    []string{"/bin/sh", "-c", `echo "$PACKAGE_NAME $STEP_VAR"; echo err >&2; pwd`},
		Env:    []string{"STEP_VAR=step"},
		Stdout: &stdout, Stderr: &stderr, WorkDir: "/tmp",
	})
	if err != nil || code != 0 || stdout.String() != "hello step\n/tmp\n" || stderr.String() != "err\n" {
		t.Errorf("env, workdir and stderr: %q %q %d %v", stdout.String(), stderr.String(), code, err)
	}
}

// signalWriter reports on seen when its output first contains want.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func TestExecStreamsLive(t *testing.T) {
	d := dockerEngine(t)
	ctx := context.Background()
	id, _ := run(t, d, amd64)
	// The step prints a line, then waits until the test (having seen that line) lets it finish:
	// it can only end if its first line arrived while it was still running.
	w := &signalWriter{want: "first\n", seen: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		code, err := d.Exec(ctx, id, engine.ExecSpec{
			Cmd:    []string{"/bin/sh", "-c", "echo first; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo second"},
			Stdout: w,
		})
		if err == nil && code != 0 {
			err = errors.New("step failed")
		}
		done <- err
	}()
	select {
	case <-w.seen:
	case err := <-done:
		t.Fatalf("the step ended before its first line arrived: %v", err)
	}
	if _, err := d.Exec(ctx, id, engine.ExecSpec{Cmd: []string{"touch", "/tmp/go"}}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := w.buf.String(); got != "first\nsecond\n" {
		t.Fatalf("output %q", got)
	}
}

func TestCancelledContextRemovesContainer(t *testing.T) {
	d := dockerEngine(t)
	tag, _ := busybox(t, d, amd64)
	ctx, cancel := context.WithCancel(context.Background())
	func() {
		id, err := d.Create(ctx, engine.ContainerSpec{Image: tag, Platform: amd64, Package: "test/cancel"})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Remove(ctx, id) // runs with the cancelled ctx
		w := &signalWriter{want: "started", seen: make(chan struct{})}
		go func() { <-w.seen; cancel() }()
		_, err = d.Exec(ctx, id, engine.ExecSpec{Cmd: []string{"/bin/sh", "-c", "echo started; sleep 300"}, Stdout: w})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("exec under a cancelled context: %v", err)
		}
	}()
	left, err := d.Managed(context.Background(), d.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Fatalf("containers left after a cancel: %+v", left)
	}
}

func TestCopyRoundTrip(t *testing.T) {
	d := dockerEngine(t)
	ctx := context.Background()
	id, sh := run(t, d, amd64)
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	tw.WriteHeader(&tar.Header{Name: "a/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "a/b.txt", Mode: 0o640, Size: 6, Uid: 1234})
	tw.Write([]byte("hello\n"))
	tw.Close()
	if err := d.CopyTo(ctx, id, "/luetbuild/ctx", &in); err != nil {
		t.Fatal(err)
	}
	if out, code := sh("cat /luetbuild/ctx/a/b.txt && stat -c %u:%a /luetbuild/ctx/a/b.txt /tmp"); code != 0 || out != "hello\n1234:640\n0:1777\n" {
		t.Fatalf("copied file in the container: %q (exit %d)", out, code)
	}
	rc, err := d.CopyFrom(ctx, id, "/luetbuild/ctx/a")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
	}
	if files["a/b.txt"] != "hello\n" {
		t.Fatalf("copied out: %v", files)
	}
}

func TestCommitChangesOverlayExport(t *testing.T) {
	d := dockerEngine(t)
	ctx := context.Background()
	id, sh := run(t, d, amd64)
	if _, code := sh("echo built > /built && echo 'x:x:1:1::/:/bin/sh' >> /etc/passwd && rm /bin/vi"); code != 0 {
		t.Fatal("step failed")
	}

	changes, err := d.Changes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]engine.ChangeKind{}
	for _, c := range changes {
		kinds[c.Path] = c.Kind
	}
	if kinds["/built"] != engine.Added || kinds["/etc/passwd"] != engine.Modified || kinds["/bin/vi"] != engine.Deleted {
		t.Fatalf("changes: %v", changes)
	}

	dirs, ok, err := d.OverlayDirs(ctx, id)
	if err != nil || !ok {
		t.Fatalf("overlay dirs of a local overlay2 engine: %+v, %v, %v", dirs, ok, err)
	}
	if b, err := os.ReadFile(filepath.Join(dirs.Upper, "built")); err != nil || string(b) != "built\n" {
		t.Fatalf("upper dir %s lacks /built: %q, %v", dirs.Upper, b, err)
	}
	if len(dirs.Lower) == 0 {
		t.Fatal("no lower dirs")
	}

	rc, err := d.Export(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		found = found || h.Name == "built"
	}
	rc.Close()
	if !found {
		t.Fatal("export lacks /built")
	}

	imgID, err := d.Commit(ctx, id, engine.CommitSpec{Ref: "flavor-oci-test/committed:" + d.RunID(), Labels: map[string]string{"dev.flavor.test": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.RemoveImage(context.Background(), "flavor-oci-test/committed:"+d.RunID())
	child, err := d.Create(ctx, engine.ContainerSpec{Image: imgID, Platform: amd64, Package: "test/child"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Remove(ctx, child)
	var out bytes.Buffer
	if code, err := d.Exec(ctx, child, engine.ExecSpec{Cmd: []string{"cat", "/built"}, Stdout: &out}); err != nil || code != 0 || out.String() != "built\n" {
		t.Fatalf("container of the committed image: %q, %d, %v", out.String(), code, err)
	}
	// The committed image runs its original command, not the keep-alive.
	cfg, err := exec.Command("docker", "image", "inspect", "--format", "{{json .Config.Entrypoint}} {{json .Config.Cmd}}", imgID).Output()
	if err != nil || strings.TrimSpace(string(cfg)) != `[] ["/bin/sh"]` && strings.TrimSpace(string(cfg)) != `null ["/bin/sh"]` {
		t.Fatalf("committed run config: %s, %v", cfg, err)
	}
}

func TestDeadDaemon(t *testing.T) {
	ctx := context.Background()
	for name, opts := range map[string]func(t *testing.T) []docker.Option{
		"WithHost": func(*testing.T) []docker.Option { return []docker.Option{docker.WithHost("unix:///nonexistent")} },
		"DOCKER_HOST": func(t *testing.T) []docker.Option {
			t.Setenv("DOCKER_HOST", "unix:///nonexistent")
			return engineEnv()
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := docker.New(ctx, opts(t)...)
			if !errors.Is(err, engine.ErrEngineUnreachable) {
				t.Fatalf("err = %v, want ErrEngineUnreachable", err)
			}
			for _, want := range []string{"unix:///nonexistent", "DOCKER_HOST", "integration/setup.sh"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q: %v", want, err)
				}
			}
		})
	}
}

func TestRemoveStale(t *testing.T) {
	d := dockerEngine(t)
	ctx := context.Background()
	tag, _ := busybox(t, d, amd64)
	mine, err := d.Create(ctx, engine.ContainerSpec{Image: tag, Platform: amd64, Package: "test/live"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Remove(ctx, mine)
	// A container left by a flavor process of this PID namespace that has exited (the pid of a
	// finished child), still running: an older flavor's, or one the engine has not stopped yet.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	out, err := exec.Command("docker", "run", "-d", "-i",
		"--label", engine.LabelManaged+"=true", "--label", engine.LabelRun+"="+d.RunID(),
		"--label", engine.LabelOwner+"="+host+":"+strconv.Itoa(dead.Process.Pid),
		"--label", engine.LabelOwnerNS+"="+engine.OwnerNamespace(),
		tag, "/bin/sh", "-c", "read _").Output()
	if err != nil {
		t.Fatal(err)
	}
	leftover := strings.TrimSpace(string(out))
	removed, err := engine.RemoveStale(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(removed, leftover) || contains(removed, mine) {
		t.Fatalf("RemoveStale removed %v; want %s removed and %s (live owner) kept", removed, leftover, mine)
	}
	left, _ := d.Managed(ctx, d.RunID())
	if len(left) != 1 || left[0].ID != mine {
		t.Fatalf("left: %+v", left)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
