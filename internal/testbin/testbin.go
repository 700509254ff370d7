package testbin

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

// MainPackage is the import path of the launcher's main package.
const MainPackage = "github.com/flavor-dev/flavor/launcher/cmd/flavor-launcher"

var (
	mu     sync.Mutex
	dir    string
	builds = map[string]*build{}
)

type build struct {
	once sync.Once
	path string
	err  error
}

// Launcher returns the path of the launcher built for goos/goarch ("" means this machine's),
// building it on the first call for that platform. Later calls, from any goroutine, return the
// same file. Remove the files with Cleanup at the end of TestMain.
func Launcher(goos, goarch string) (string, error) {
	if goos == "" {
		goos = runtime.GOOS
	}
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	key := goos + "-" + goarch
	mu.Lock()
	b, ok := builds[key]
	if !ok {
		b = &build{}
		builds[key] = b
	}
	mu.Unlock()
	b.once.Do(func() { b.path, b.err = compile(goos, goarch) })
	return b.path, b.err
}

// Cleanup removes every launcher built so far.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
		dir = ""
	}
	builds = map[string]*build{}
}

func compile(goos, goarch string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	mu.Lock()
	if dir == "" {
		if dir, err = os.MkdirTemp("", "flavor-testbin-"); err != nil {
			mu.Unlock()
			return "", fmt.Errorf("building the launcher: %w", err)
		}
	}
	out := filepath.Join(dir, "flavor-launcher-"+goos+"-"+goarch)
	mu.Unlock()
	if goos == "windows" {
		out += ".exe"
	}
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", out, MainPackage)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the launcher for %s/%s: %w\n%s", goos, goarch, err, stderr.Bytes())
	}
	return out, nil
}

// moduleRoot finds the directory holding go.mod, from the working directory upwards (a test runs
// in its package's directory).
func moduleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("building the launcher: no go.mod above the working directory")
		}
		d = parent
	}
}
