//go:build integration

package integration

import (
	"context"
	"fmt"
	"github.com/flavor-dev/flavor/engine/docker"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/oci"
)

// goImage makes (once per Go version) an image of busybox plus the host's Go toolchain, the
// offline stand-in for golang:1.26.
func goImage(t *testing.T, d *docker.Docker) string {
	t.Helper()
	tag := "flavor-build-test/go:" + strings.TrimPrefix(runtime.Version(), "go")
	if ok, err := d.ImageExists(context.Background(), tag); err != nil {
		t.Fatal(err)
	} else if ok {
		return tag
	}
	goroot := strings.TrimSpace(run1(t, "", "go", "env", "GOROOT"))
	root := t.TempDir()
	run1(t, "", "cp", "-a", filepath.Join(setupDir(), "rootfs", "busybox-amd64")+"/.", root)
	if err := os.MkdirAll(filepath.Join(root, "usr", "local"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Hard links where the file system allows, else a copy.
	if _, err := exec.Command("cp", "-al", goroot, filepath.Join(root, "usr", "local", "go")).CombinedOutput(); err != nil {
		run1(t, "", "cp", "-a", goroot, filepath.Join(root, "usr", "local", "go"))
	}
	img, err := oci.NewBaseImage(context.Background(), root, amd64)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if _, err := oci.Load(context.Background(), d, img, tag); err != nil {
		t.Fatal(err)
	}
	return tag
}

// run1 runs a command and returns its output, failing the test on error.
func run1(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestBuildDockerfile builds the repository's Dockerfile offline — the Go stage from busybox plus
// the host's Go, modules from `go mod vendor` in the context, the final stage on busybox — and
// runs `flavor --version` in the image.
func TestBuildDockerfile(t *testing.T) {
	d := dockerEngine(t)
	ensureBusybox(t, d)
	goTag := goImage(t, d)
	repo := strings.TrimSpace(run1(t, "..", "git", "rev-parse", "--show-toplevel"))
	ctxDir := t.TempDir()
	files := run1(t, repo, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	for _, f := range strings.Split(strings.TrimRight(files, "\x00"), "\x00") {
		src := filepath.Join(repo, f)
		fi, err := os.Lstat(src)
		if err != nil || fi.IsDir() {
			continue // deleted in the work tree, or a submodule
		}
		dst := filepath.Join(ctxDir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		run1(t, "", "cp", "-a", src, dst)
	}
	run1(t, ctxDir, "go", "mod", "vendor")
	version := fmt.Sprintf("it-%d", time.Now().Unix())
	tag := "flavor-build-test/flavor:" + version
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	cmd := exec.Command("docker", "build", "--build-arg", "GO_IMAGE="+goTag, "--build-arg", "BASE=busybox:latest",
		"--build-arg", "VERSION="+version, "-t", tag, ctxDir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	out := run1(t, "", "docker", "run", "--rm", tag, "--version")
	if strings.TrimSpace(out) != "flavor version "+version {
		t.Errorf("flavor --version in the image says %q, want %q", out, "flavor version "+version)
	}
	help := run1(t, "", "docker", "run", "--rm", tag, "build", "--help")
	if !strings.Contains(help, "--destination") {
		t.Errorf("flavor build --help in the image:\n%s", help)
	}
}
