package launcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

// TestCommandResolvedOnChildPath: a bare first word is looked up on the child's PATH (which
// holds workenv/bin and, here, nothing of the caller's), not on the launcher's.
func TestCommandResolvedOnChildPath(t *testing.T) {
	slot := treeSlot(t, "app", files{"bin/greet": "#!/bin/sh\necho greet \"$@\"\n"})
	onlyWorkenv := packer.RuntimeEnv{Unset: []string{"*"}}
	r := newRunner(t)
	t.Run("found in workenv/bin", func(t *testing.T) {
		pkg := writePackage(t, packer.Spec{Name: "bare", Execution: packer.Execution{Command: "greet x"}, Runtime: onlyWorkenv, Slots: []packer.Slot{slot}})
		r.mustRun(pkg, "greet x y\n", nil, "y")
	})
	t.Run("absolute workenv path", func(t *testing.T) {
		pkg := writePackage(t, packer.Spec{Name: "abs", Execution: packer.Execution{Command: "{workenv}/bin/greet"}, Runtime: onlyWorkenv, Slots: []packer.Slot{slot}})
		r.mustRun(pkg, "greet\n", nil)
	})
	t.Run("caller's PATH is not searched", func(t *testing.T) {
		pkg := writePackage(t, packer.Spec{Name: "nosh", Execution: packer.Execution{Command: "sh -c true"}, Runtime: onlyWorkenv, Slots: []packer.Slot{slot}})
		res := r.run(pkg, nil)
		if res.code != 106 || !strings.Contains(res.stderr, "sh is not in any directory of the package's PATH") {
			t.Fatalf("want exit 106 naming the command, got %s", res)
		}
	})
}

func TestEnumerateAndExecuteSetup(t *testing.T) {
	pkg := writePackage(t, packer.Spec{
		Name:      "enum",
		Execution: packer.Execution{Command: "cat {workenv}/plugins.txt"},
		SetupCommands: []packer.SetupCommand{{
			Type:      "enumerate_and_execute",
			Command:   "sh {workenv}/bin/register {workenv}/plugins.txt",
			Enumerate: &packer.Enumerate{Path: "{workenv}/plugins", Pattern: "*.so"},
		}},
		Slots: []packer.Slot{treeSlot(t, "app", files{
			"bin/register":  "#!/bin/sh\nout=$1; shift\nfor p in \"$@\"; do basename \"$p\" >> \"$out\"; done\n",
			"plugins/b.so":  "b",
			"plugins/a.so":  "a",
			"plugins/c.txt": "not a plugin",
		})},
	})
	r := newRunner(t)
	r.mustRun(pkg, "a.so\nb.so\n", nil)
	if b, _ := os.ReadFile(filepath.Join(r.workenvs()[0], "plugins.txt")); string(b) != "a.so\nb.so\n" {
		t.Fatalf("plugins.txt = %q", b)
	}
}
