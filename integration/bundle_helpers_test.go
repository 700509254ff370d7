//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/flavor-dev/flavor/engine/docker"
	"github.com/flavor-dev/flavor/platform"

	"github.com/flavor-dev/flavor/internal/testbin"
	"github.com/flavor-dev/flavor/oci"
)

// exampleDir is examples/hello in the repository.
func exampleDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "examples", "hello")
}

// copyExample copies examples/hello to a new directory and returns it.
func copyExample(t testing.TB) string {
	t.Helper()
	dst := t.TempDir()
	if err := copyExampleTo(dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// copyExampleTo copies examples/hello into dst, without the dist/ or lock a local run left.
func copyExampleTo(dst string) error {
	src := exampleDir()
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "dist" || rel == "flavor.lock" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, info.Mode().Perm())
	})
}

// sharedDir is a directory for state shared by the tests of this process (the packed example
// and its caches), under $TMPDIR/flavor-bundle-it/<pid>. Directories of processes that are gone
// are removed first, since no test owns the shared one to clean it up.
func sharedDir() (string, error) {
	root := filepath.Join(os.TempDir(), "flavor-bundle-it")
	for _, name := range listDir(root) {
		if pid, err := strconv.Atoi(name); err == nil && pid != os.Getpid() {
			if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
				os.RemoveAll(filepath.Join(root, name))
			}
		}
	}
	dir := filepath.Join(root, strconv.Itoa(os.Getpid()))
	return dir, os.MkdirAll(dir, 0o755)
}

var exampleBases sync.Once

// ensureExampleBases imports setup.sh's busybox root filesystems as the example's base images,
// flavor-example/busybox:<arch> (what `make demo` does with `flavor image import`).
func ensureExampleBases(t testing.TB, d *docker.Docker) {
	t.Helper()
	var err error
	exampleBases.Do(func() { err = importBusybox(d, "flavor-example/busybox", "") })
	if err != nil {
		t.Fatalf("importing the example's base images: %v", err)
	}
}

// importBusybox loads the busybox root filesystem of each architecture as name:<arch>; with
// extra set, a file /extra holding it is added first (another image of the same name).
func importBusybox(d *docker.Docker, name, extra string) error {
	for _, p := range []platform.Platform{amd64, arm64} {
		src := filepath.Join(setupDir(), "rootfs", "busybox-"+p.Arch)
		if extra != "" {
			tmp, err := os.MkdirTemp("", "rootfs-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			if out, err := exec.Command("cp", "-a", src+"/.", tmp).CombinedOutput(); err != nil {
				return &copyError{out: string(out), err: err}
			}
			if err := os.WriteFile(filepath.Join(tmp, "extra"), []byte(extra), 0o644); err != nil {
				return err
			}
			src = tmp
		}
		img, err := oci.NewBaseImage(context.Background(), src, p)
		if err != nil {
			return err
		}
		_, err = oci.Load(context.Background(), d, img, name+":"+p.Arch)
		img.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

type copyError struct {
	out string
	err error
}

func (e *copyError) Error() string { return e.err.Error() + ": " + e.out }

// launcherArgs are --launcher-bin flags for the amd64 and arm64 launchers, built once.
func launcherArgs(t testing.TB) []string {
	t.Helper()
	var args []string
	for _, arch := range []string{"amd64", "arm64"} {
		p, err := testbin.Launcher("linux", arch)
		if err != nil {
			t.Fatalf("building the %s launcher: %v", arch, err)
		}
		args = append(args, "--launcher-bin", p)
	}
	return args
}

// bundleRun is one run of the flavor binary.
type bundleRun struct {
	stdout, stderr string
	code           int
	pid            int // of the flavor process, for creations
}

// runBundleFlavor runs the flavor binary in dir with the cache at cache (FLAVOR_CACHE).
func runBundleFlavor(t testing.TB, dir, cache string, args ...string) bundleRun {
	t.Helper()
	cmd := exec.Command(flavorBin(t.(*testing.T)), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FLAVOR_CACHE="+cache, "SOURCE_DATE_EPOCH=0", "FLAVOR_PROGRESS=json")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running flavor %v: %v", args, err)
	}
	return bundleRun{stdout: out.String(), stderr: errb.String(), code: code, pid: cmd.Process.Pid}
}

// must fails the test unless the run succeeded.
func (r bundleRun) must(t testing.TB, what string) bundleRun {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", what, r.code, r.stdout, r.stderr)
	}
	return r
}

// packReport is the part of `flavor pack --output-format json` the tests read.
type packReport struct {
	Packages []struct {
		Platform string `json:"platform"`
		Path     string `json:"path"`
		SHA256   string `json:"sha256"`
	} `json:"packages"`
	Install struct {
		LockWritten bool `json:"lock_written"`
		Containers  int  `json:"containers"`
		Changed     []struct {
			InstallID string `json:"install_id"`
			System    string `json:"system"`
			Why       string `json:"why"`
		} `json:"changed"`
		Packages []struct {
			System  string `json:"system"`
			Package string `json:"package"`
			Source  string `json:"source"`
		} `json:"packages"`
	} `json:"install"`
}

func (r bundleRun) report(t testing.TB) packReport {
	t.Helper()
	var rep packReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("reading the pack report: %v\n%s", err, r.stdout)
	}
	return rep
}

// sources maps "package system" to built/cached.
func (p packReport) sources() map[string]string {
	out := map[string]string{}
	for _, x := range p.Install.Packages {
		out[x.Package+" "+x.System] = x.Source
	}
	return out
}

// psps maps platform to the .psp path.
func (p packReport) psps() map[string]string {
	out := map[string]string{}
	for _, x := range p.Packages {
		out[x.Platform] = x.Path
	}
	return out
}

func fileSum(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

// runPSP runs a package with args in a workenv cache of its own and returns its output.
func runPSP(t testing.TB, psp, cache string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(psp, args...)
	cmd.Env = []string{"HOME=" + cache, "FLAVOR_CACHE=" + cache, "PATH=/nonexistent"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", psp, err)
	}
	return out.String(), errb.String(), code
}

// listDir lists the names in dir ("" entries when it does not exist).
func listDir(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// hasPSP reports whether dir holds a .psp (or a temporary file of one).
func hasPSP(dir string) bool {
	for _, n := range listDir(dir) {
		if strings.Contains(n, ".psp") {
			return true
		}
	}
	return false
}

// writeFiles writes files (path → content) under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
