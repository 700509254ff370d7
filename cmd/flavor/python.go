package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flavor-dev/flavor/specs/manifest"
	"github.com/flavor-dev/flavor/specs/pyproject"
)

// outputExclude leaves pack's output directory (--output DIR) out of a Python project's copy, so
// packages written into the project do not become part of the app.
func outputExclude(output string) []pyproject.Option {
	if output == "" || strings.HasSuffix(output, ".psp") {
		return nil
	}
	abs, err := filepath.Abs(output)
	if err != nil {
		return nil
	}
	return []pyproject.Option{pyproject.WithExclude(abs)}
}

// pythonApp turns a Python application's manifest into the manifest flavor builds: its spec tree
// is generated into a temporary directory, which the returned function removes. Other
// manifests come back as they are.
func pythonApp(ctx context.Context, m *manifest.Manifest, opts ...pyproject.Option) (*manifest.Manifest, func(), error) {
	if m.Python() == nil {
		return m, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "flavor-python-")
	if err != nil {
		return nil, nil, fmt.Errorf("preparing the Python build of %s: %w", m.File(), err)
	}
	done := func() { os.RemoveAll(dir) }
	out, err := pyproject.Prepare(ctx, m, dir, opts...)
	if err != nil {
		done()
		return nil, nil, err
	}
	return out, done, nil
}
