package launcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

// printEnv prints the named variables as NAME=value lines ("NAME unset" when absent), then pwd.
const printEnv = `#!/bin/sh
for n in "$@"; do
  if eval "[ -n \"\${$n+x}\" ]"; then eval "printf '%s=%s\n' \"$n\" \"\$$n\""; else printf '%s unset\n' "$n"; fi
done
printf 'pwd=%s\n' "$(pwd -P)"
`

func TestEnvironmentRulesEndToEnd(t *testing.T) {
	vars := []string{"KEEP_ME", "LC_TIME", "DROP_ME", "OLD_NAME", "NEW_NAME", "EXTRA", "MODE", "DATA", "PKG",
		"FLAVOR_WORKENV", "FLAVOR_PACKAGE", "FLAVOR_COMMAND_NAME", "FLAVOR_ORIGINAL_COMMAND", "PATH", "HOME"}
	cwd := t.TempDir()
	pkg := writePackage(t, packer.Spec{
		Name: "envy",
		Execution: packer.Execution{
			// /bin/sh by absolute path: PATH is reduced to what the package allows.
			Command:     "/bin/sh {workenv}/bin/env " + strings.Join(vars, " "),
			Env:         map[string]string{"MODE": "exec", "DATA": "{workenv}/data", "PKG": "{package_name}@{version}"},
			PathPrepend: []string{"{workenv}/tools"},
			PathAppend:  []string{"/late/bin"},
		},
		Runtime: packer.RuntimeEnv{
			Unset: []string{"*"},
			Pass:  []string{"KEEP_ME", "LC_*"},
			Map:   map[string]string{"OLD_NAME": "NEW_NAME"},
			Set:   map[string]string{"EXTRA": "x", "MODE": "set"},
		},
		Slots: []packer.Slot{treeSlot(t, "app", files{"bin/env": printEnv})},
	})
	r := newRunner(t)
	c := r.cmd(pkg, []string{"KEEP_ME=k", "LC_TIME=C", "DROP_ME=d", "OLD_NAME=old", "FLAVOR_WORKENV=/stale"})
	c.Dir = cwd
	res := runCmd(t, c)
	if res.code != 0 {
		t.Fatal(res)
	}
	we := r.workenvs()[0]
	real, _ := filepath.EvalSymlinks(cwd)
	want := strings.Join([]string{
		"KEEP_ME=k", "LC_TIME=C", "DROP_ME unset",
		"OLD_NAME unset", // map needs OLD to exist after unset: OLD_NAME was not passed
		"NEW_NAME unset", "EXTRA=x", "MODE=exec", "DATA=" + we + "/data", "PKG=envy@1.0.0",
		"FLAVOR_WORKENV=" + we, "FLAVOR_PACKAGE=" + pkg, "FLAVOR_COMMAND_NAME=envy.psp", "FLAVOR_ORIGINAL_COMMAND=" + pkg,
		"PATH=" + we + "/tools:" + we + "/bin:/late/bin", "HOME unset", "pwd=" + real,
	}, "\n") + "\n"
	if res.stdout != want {
		t.Fatalf("environment:\n got %s\nwant %s", res.stdout, want)
	}
}

func TestMapAndPassKeepCallerPath(t *testing.T) {
	pkg := writePackage(t, packer.Spec{
		Name:      "mapper",
		Execution: packer.Execution{Command: "sh {workenv}/bin/env NEW_NAME OLD_NAME PATH"},
		Runtime:   packer.RuntimeEnv{Unset: []string{"*"}, Pass: []string{"PATH", "OLD_NAME"}, Map: map[string]string{"OLD_NAME": "NEW_NAME"}},
		Slots:     []packer.Slot{treeSlot(t, "app", files{"bin/env": printEnv})},
	})
	r := newRunner(t)
	res := r.run(pkg, []string{"OLD_NAME=v"})
	we := r.workenvs()
	if res.code != 0 || len(we) != 1 {
		t.Fatal(res)
	}
	lines := strings.Split(res.stdout, "\n")
	if lines[0] != "NEW_NAME=v" || lines[1] != "OLD_NAME unset" || lines[2] != "PATH="+we[0]+"/bin:"+os.Getenv("PATH") {
		t.Fatalf("got %q", lines)
	}
}

func TestPlaceholdersInCwdAndSetup(t *testing.T) {
	pkg := writePackage(t, packer.Spec{
		Name: "ph",
		Execution: packer.Execution{
			Command: "sh {slot:0}/bin/env SETUP_SAW",
			Cwd:     "{workenv}/data",
		},
		Workenv: &packer.Workenv{Directories: []packer.WorkenvDir{{Path: "{workenv}/data", Mode: 0o750}}},
		SetupCommands: []packer.SetupCommand{
			{Type: "write_file", Path: "{workenv}/data/setup.txt", Content: "{package_name} {version} {slot:0}"},
			{Command: "sh -c 'echo \"$0\" > {workenv}/data/arg.txt' {workenv}"},
		},
		Slots: []packer.Slot{treeSlot(t, "app", files{"bin/env": printEnv})},
	})
	r := newRunner(t)
	res := r.run(pkg, []string{"SETUP_SAW=1"})
	we := r.workenvs()
	if res.code != 0 || len(we) != 1 {
		t.Fatal(res)
	}
	if want := "SETUP_SAW=1\npwd=" + we[0] + "/data\n"; res.stdout != want {
		t.Fatalf("stdout %q, want %q", res.stdout, want)
	}
	for name, want := range map[string]string{"setup.txt": "ph 1.0.0 " + we[0] + "\n", "arg.txt": we[0] + "\n"} {
		b, err := os.ReadFile(filepath.Join(we[0], "data", name))
		if err != nil || string(b) != want {
			t.Fatalf("%s = %q, %v; want %q", name, b, err, want)
		}
	}
	if fi, err := os.Stat(filepath.Join(we[0], "data")); err != nil || fi.Mode().Perm() != 0o750 {
		t.Fatalf("workenv directory data: %v %v, want mode 0750", fi.Mode(), err)
	}
}
