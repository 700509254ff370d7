package launcher

import (
	"context"
	"os"
	"path/filepath"
	"runtime"

	"github.com/flavor-dev/flavor/packer"
)

// Open opens the package (WithPackage, or the launcher's own executable) and checks its header at
// the level and with the trusted keys the environment asks for (FLAVOR_VALIDATION,
// FLAVOR_TRUSTED_KEYS), without extracting or running anything. The launcher's CLI mode uses it.
// Errors are *Error, like Run's.
func Open(ctx context.Context, opts ...Option) (*packer.Package, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fail(CategoryUsage, "configuring the launcher", err, "")
	}
	env := newEnviron(o.env, runtime.GOOS == "windows")
	cfg, err := readConfig(env)
	if err != nil {
		return nil, err
	}
	if o.pkg == "" {
		if o.pkg, err = os.Executable(); err != nil {
			return nil, fail(CategoryIO, "finding the launcher's own executable", err, "run the package by its path")
		}
	}
	l := &launch{o: o, cfg: cfg, env: env, name: filepath.Base(o.pkg)}
	if err := l.open(ctx); err != nil {
		return nil, err
	}
	return l.pkg, nil
}

// Workenv returns where the package with metadata m lives in the cache of the environment env
// ("KEY=value" strings).
func Workenv(env []string, m *packer.Metadata) (string, error) {
	cache, err := CacheDir(env)
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "workenv", WorkenvName(m.Package.Name, m.JSON())), nil
}
