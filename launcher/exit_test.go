package launcher

import (
	"fmt"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

// argsPackage prints each argument as [arg] on its own line and exits with $EXIT_CODE.
func argsPackage(t *testing.T) string {
	return writePackage(t, packer.Spec{
		Name:      "args",
		Execution: packer.Execution{Command: "{workenv}/bin/args"},
		Slots: []packer.Slot{treeSlot(t, "app", files{
			"bin/args": "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\nexit \"${EXIT_CODE:-0}\"\n",
		})},
	})
}

func TestExitCodesAndArguments(t *testing.T) {
	pkg := argsPackage(t)
	args := []string{"plain", "with space", "", `"double"`, "'single'", `back\slash`, "ünï cödé ✓", "$HOME", "*", "-x", "a\nb"}
	var want strings.Builder
	for _, a := range args {
		fmt.Fprintf(&want, "[%s]\n", a)
	}
	for _, mode := range []string{"exec", "spawn"} {
		r := newRunner(t, "FLAVOR_EXEC_MODE="+mode)
		for _, code := range []int{0, 1, 42, 255} {
			t.Run(fmt.Sprintf("%s/exit%d", mode, code), func(t *testing.T) {
				res := r.run(pkg, []string{fmt.Sprintf("EXIT_CODE=%d", code)}, args...)
				if res.code != code {
					t.Fatalf("exit code %d, want %d\n%s", res.code, code, res)
				}
				if res.stdout != want.String() {
					t.Fatalf("arguments changed on the way:\n got %q\nwant %q", res.stdout, want.String())
				}
				if res.stderr != "" {
					t.Fatalf("launcher wrote to stderr: %q", res.stderr)
				}
			})
		}
	}
}

func TestCommandWordsAndExtraArgs(t *testing.T) {
	pkg := writePackage(t, packer.Spec{
		Name: "words",
		Execution: packer.Execution{
			Command: `sh {workenv}/bin/args 'one two' "th\"ree" {package_name}-{version}`,
			Args:    []string{"--pkg={package}", "x y"},
		},
		Slots: []packer.Slot{treeSlot(t, "app", files{
			"bin/args": "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n",
		})},
	})
	r := newRunner(t)
	want := "[one two]\n[th\"ree]\n[words-1.0.0]\n[--pkg=" + pkg + "]\n[x y]\n[last arg]\n"
	r.mustRun(pkg, want, nil, "last arg")
}
