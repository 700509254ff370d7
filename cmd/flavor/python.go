package main

import (
	"context"
	"fmt"
	"os"

	"github.com/flavor-dev/flavor/specs/manifest"
	"github.com/flavor-dev/flavor/specs/pyproject"
)

// pythonApp turns a Python application's manifest into the manifest flavor builds: its spec tree
// is generated into a temporary directory, which the returned function removes. Other
// manifests come back as they are.
func pythonApp(ctx context.Context, m *manifest.Manifest) (*manifest.Manifest, func(), error) {
	if m.Python() == nil {
		return m, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "flavor-python-")
	if err != nil {
		return nil, nil, fmt.Errorf("preparing the Python build of %s: %w", m.File(), err)
	}
	done := func() { os.RemoveAll(dir) }
	out, err := pyproject.Prepare(ctx, m, dir)
	if err != nil {
		done()
		return nil, nil, err
	}
	return out, done, nil
}
