package testbin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/flavor-dev/flavor/internal/launcherbuild"
)

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
	root, err := launcherbuild.ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("building the launcher: %w", err)
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
	if err := launcherbuild.Build(context.Background(), root, goos, goarch, out); err != nil {
		return "", err
	}
	return out, nil
}
