package launcher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/flavor-dev/flavor/internal/testbin"
	"github.com/flavor-dev/flavor/packer"
)

// The end-to-end tests run the real launcher binary, built once per test process by testbin, at
// the front of real packages written by packer.

var (
	launcherPath  string
	launcherBytes []byte
	testKey       = packer.KeyFromSeed("test123")
)

func TestMain(m *testing.M) {
	p, err := testbin.Launcher("", "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	launcherPath = p
	if launcherBytes, err = os.ReadFile(p); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

// files is a tree to pack: path → content; a name ending in "/" is a directory; content starting
// with "#!" gets mode 0755, other files 0644.
type files map[string]string

func (f files) write(t testing.TB, dir string) string {
	t.Helper()
	for name, content := range f {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(content, "#!") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// treeSlot is a tar+zstd slot of the given files, unpacked at the workenv root.
func treeSlot(t testing.TB, id string, f files) packer.Slot {
	return packer.Slot{ID: id, Path: f.write(t, t.TempDir())}
}

// writePackage writes a signed package with our launcher in front and returns its path.
func writePackage(t testing.TB, spec packer.Spec, opts ...packer.Option) string {
	t.Helper()
	if spec.Launcher == nil {
		spec.Launcher = launcherBytes
	}
	if spec.Name == "" {
		spec.Name = "test"
	}
	if spec.Version == "" {
		spec.Version = "1.0.0"
	}
	path := filepath.Join(t.TempDir(), spec.Name+".psp")
	opts = append([]packer.Option{packer.WithSigner(testKey)}, opts...)
	if _, err := packer.Write(context.Background(), path, spec, opts...); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// result is what one run of a package did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %q\nstderr: %q", r.code, r.stdout, r.stderr)
}

// runner runs packages with a controlled environment: PATH of the test process, a private HOME,
// and a cache directory of its own unless the env says otherwise.
type runner struct {
	t     testing.TB
	cache string
	env   []string
}

func newRunner(t testing.TB, env ...string) *runner {
	return &runner{t: t, cache: t.TempDir(), env: env}
}

func (r *runner) environ(extra []string) []string {
	return append(append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.cache, "FLAVOR_CACHE=" + r.cache}, r.env...), extra...)
}

func (r *runner) cmd(pkg string, extra []string, args ...string) *exec.Cmd {
	c := exec.Command(pkg, args...)
	c.Env = r.environ(extra)
	return c
}

func (r *runner) run(pkg string, extra []string, args ...string) result {
	r.t.Helper()
	return runCmd(r.t, r.cmd(pkg, extra, args...))
}

func runCmd(t testing.TB, c *exec.Cmd) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", c.Path, err)
	}
	return res
}

// mustRun runs the package and fails the test unless it exits 0 with exactly wantStdout.
func (r *runner) mustRun(pkg string, wantStdout string, extra []string, args ...string) result {
	r.t.Helper()
	res := r.run(pkg, extra, args...)
	if res.code != 0 || res.stdout != wantStdout {
		r.t.Fatalf("want exit 0 and stdout %q, got %s", wantStdout, res)
	}
	return res
}

// workenvs lists the workenv directories of the runner's cache.
func (r *runner) workenvs() []string {
	ents, _ := os.ReadDir(filepath.Join(r.cache, "workenv"))
	var out []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, filepath.Join(r.cache, "workenv", e.Name()))
		}
	}
	return out
}

// safeBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
