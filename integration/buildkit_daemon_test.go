//go:build integration

package integration

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildkitSocket is where setup.sh's buildkitd listens.
func buildkitSocket() string {
	if s := os.Getenv("FLAVOR_BUILDKIT_SOCK"); s != "" {
		return s
	}
	return "/run/flavor-buildkit/buildkitd.sock"
}

// buildctl is the buildctl setup.sh built from the version tools/buildkit/go.mod pins.
func buildctl(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "tools", "buildkit", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var version string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "require" && f[1] == "github.com/moby/buildkit" {
			version = f[2]
		}
	}
	if version == "" {
		t.Fatal("tools/buildkit/go.mod pins no github.com/moby/buildkit version")
	}
	bin := filepath.Join(setupDir(), "buildkit", version, "buildctl")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("setup.sh builds buildctl %s: %v", version, err)
	}
	return bin
}

// TestBuildKitDaemon checks the buildkitd setup.sh starts: its OCI worker pulls the Debian
// image from the loopback registry (plain HTTP) and runs a step for linux/amd64 and, through the
// qemu binfmt handler, linux/arm64.
func TestBuildKitDaemon(t *testing.T) {
	bin := buildctl(t)
	dir := t.TempDir()
	df := "FROM " + testRegistry() + "/debian:bookworm\nRUN uname -m > /arch\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"linux/amd64": "x86_64\n", "linux/arm64": "aarch64\n"} {
		t.Run(strings.ReplaceAll(p, "/", "-"), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.tar")
			cmd := exec.Command(bin, "--addr", "unix://"+buildkitSocket(), "build", "--frontend", "dockerfile.v0",
				"--local", "context="+dir, "--local", "dockerfile="+dir, "--opt", "platform="+p,
				"--output", "type=tar,dest="+out, "--progress", "plain")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("buildctl build for %s: %v\n%s", p, err, b)
			}
			if got := tarFile(t, out, "arch"); got != want {
				t.Fatalf("uname -m in a %s step printed %q, want %q", p, got, want)
			}
		})
	}
}

// tarFile returns the contents of name in the tar at path.
func tarFile(t *testing.T, path, name string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s has no %s", path, name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "./") == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}
