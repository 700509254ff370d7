package launcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

func TestCLIMode(t *testing.T) {
	pkg := writePackage(t, packer.Spec{
		Name:      "clitool",
		Version:   "3.1.4",
		Execution: packer.Execution{Command: "sh {workenv}/bin/hi"},
		Slots: []packer.Slot{
			treeSlot(t, "app", files{"bin/hi": "#!/bin/sh\necho \"hi $*\"\n"}),
			{ID: "conf", Path: files{"c.txt": "setting = 1\n"}.write(t, t.TempDir()) + "/c.txt", Target: "conf/c.txt"},
		},
	})
	r := newRunner(t, "FLAVOR_LAUNCHER_CLI=1")
	out := t.TempDir()
	meta := must(packer.Open(t.Context(), pkg))
	json := string(meta.Metadata().JSON())
	meta.Close()
	tests := []struct {
		args       []string
		code       int
		stdout     func(string) bool
		stderrWant string
	}{
		{nil, 0, func(s string) bool {
			return strings.Contains(s, "package  clitool 3.1.4") && strings.Contains(s, "slot 1   conf") && strings.Contains(s, "d27367ba")
		}, ""},
		{[]string{"verify"}, 0, func(s string) bool {
			return strings.HasPrefix(s, "OK clitool 3.1.4: every check passed at level standard")
		}, ""},
		{[]string{"metadata"}, 0, func(s string) bool { return s == json }, ""},
		{[]string{"extract", "1", out}, 0, func(s string) bool { return s == filepath.Join(out, "conf", "c.txt")+"\n" }, ""},
		{[]string{"run", "a b"}, 0, func(s string) bool { return s == "hi a b\n" }, ""},
		{[]string{"help"}, 0, func(s string) bool { return strings.Contains(s, "extract SLOT DIR") }, ""},
		{[]string{"bogus"}, 105, func(s string) bool { return s == "" }, "unknown command"},
		{[]string{"extract", "9", out}, 105, func(s string) bool { return s == "" }, "slot \"9\""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			res := r.run(pkg, nil, tt.args...)
			if res.code != tt.code || !tt.stdout(res.stdout) || !strings.Contains(res.stderr, tt.stderrWant) {
				t.Fatalf("got %s", res)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(out, "conf", "c.txt")); err != nil || string(b) != "setting = 1\n" {
		t.Fatalf("extracted %q, %v", b, err)
	}
	// A damaged slot fails verify with the slot exit code.
	p := must(packer.Open(t.Context(), pkg))
	off := int(must(p.Descriptor(0)).Offset)
	p.Close()
	bad := mutate(t, pkg, false, func(b []byte, _ int) { b[off+10] ^= 1 })
	if res := r.run(bad, nil, "verify"); res.code != 103 || !strings.Contains(res.stderr, "slot checksum mismatch") {
		t.Fatalf("verify of a damaged slot: %s", res)
	}
}

// TestUsageErrorNamesLauncherHelp: arguments go to the package's program, so a launcher usage
// error says where the launcher's own help is.
func TestUsageErrorNamesLauncherHelp(t *testing.T) {
	pkg := writePackage(t, packer.Spec{Name: "helpful", Execution: packer.Execution{Command: "sh -c 'echo ran'"},
		Slots: []packer.Slot{treeSlot(t, "app", files{"a": "a"})}})
	res := newRunner(t, "FLAVOR_EXEC_MODE=bogus").run(pkg, nil, "--help")
	if res.code != 105 || !strings.Contains(res.stderr, "FLAVOR_LAUNCHER_CLI=1 "+pkg+" help") || res.stdout != "" {
		t.Fatalf("want exit 105 naming the launcher's help, got %s", res)
	}
}
