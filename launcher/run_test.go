package launcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

func TestRunColdThenWarm(t *testing.T) {
	pkg := writePackage(t, packer.Spec{
		Name:      "hello",
		Execution: packer.Execution{Command: "{workenv}/bin/hello --from-package"},
		Slots: []packer.Slot{treeSlot(t, "app", files{
			"bin/hello": "#!/bin/sh\necho \"hello $*\"\n",
		})},
	})
	r := newRunner(t)
	r.mustRun(pkg, "hello --from-package a b\n", nil, "a", "b")
	wes := r.workenvs()
	if len(wes) != 1 || !strings.HasPrefix(filepath.Base(wes[0]), "hello-") {
		t.Fatalf("workenvs = %v, want one hello-<digest>", wes)
	}
	// Warm: same output; the tree is not extracted again (a file we drop in survives).
	if err := os.WriteFile(filepath.Join(wes[0], "probe"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	debug := []string{"FLAVOR_LAUNCHER_LOG_LEVEL=debug"}
	// The second run finds the launch record of the first: no metadata parsing, no extraction.
	res := r.mustRun(pkg, "hello --from-package\n", debug)
	if !strings.Contains(res.stderr, "record ") || !strings.Contains(res.stderr, " hit\n") || strings.Contains(res.stderr, "extract") {
		t.Fatalf("second run did not use the launch record: %s", res)
	}
	// Without the record, the full path finds the tree complete (warm) and writes the record again.
	if err := os.RemoveAll(filepath.Join(r.cache, "workenv", ".launch")); err != nil {
		t.Fatal(err)
	}
	res = r.mustRun(pkg, "hello --from-package\n", debug)
	if !strings.Contains(res.stderr, " miss\n") || !strings.Contains(res.stderr, " warm\n") || strings.Contains(res.stderr, "extract") {
		t.Fatalf("run without a record was not a warm full-path run: %s", res)
	}
	res = r.mustRun(pkg, "hello --from-package\n", debug)
	if !strings.Contains(res.stderr, " hit\n") {
		t.Fatalf("the record was not written again: %s", res)
	}
	if _, err := os.Stat(filepath.Join(wes[0], "probe")); err != nil {
		t.Fatalf("warm run replaced the tree: %v", err)
	}
}
