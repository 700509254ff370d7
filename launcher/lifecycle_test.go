package launcher

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

func pathExists(p string) bool { _, err := os.Lstat(p); return err == nil }

// slotWith is a tar slot of f with the given lifecycle and platform.
func slotWith(t *testing.T, id, lifecycle, platform string, f files) packer.Slot {
	return packer.Slot{ID: id, Lifecycle: lifecycle, Platform: platform, Path: f.write(t, t.TempDir())}
}

func TestLifecycles(t *testing.T) {
	other := "windows/arm64"
	if runtime.GOOS == "windows" {
		other = "linux/arm64"
	}
	spec := packer.Spec{
		Name:      "life",
		Execution: packer.Execution{Command: "sh {workenv}/bin/run"},
		SetupCommands: []packer.SetupCommand{
			// The init slot is there while setup runs, and gone afterwards.
			{Command: "sh {workenv}/init/setup.sh"},
		},
		Slots: []packer.Slot{
			slotWith(t, "app", "runtime", "", files{"bin/run": "#!/bin/sh\ncat \"$FLAVOR_WORKENV/conf/volatile.txt\"\n"}),
			slotWith(t, "init", "init", "", files{"init/setup.sh": "#!/bin/sh\necho ran >> \"$FLAVOR_WORKENV/setup-count\"\n"}),
			slotWith(t, "vol", "volatile", "", files{"conf/volatile.txt": "fresh\n"}),
			slotWith(t, "lazy", "lazy", "", files{"lazy/big.txt": "big\n"}),
			slotWith(t, "foreign", "runtime", other, files{"foreign/x": "x\n"}),
			slotWith(t, "mine", "runtime", runtime.GOOS+"/"+runtime.GOARCH, files{"mine/x": "x\n"}),
		},
	}
	pkg := writePackage(t, spec)
	r := newRunner(t)
	r.mustRun(pkg, "fresh\n", nil)
	we := r.workenvs()[0]
	check := func(rel string, want bool) {
		t.Helper()
		if got := pathExists(filepath.Join(we, rel)); got != want {
			t.Fatalf("%s exists = %v, want %v", rel, got, want)
		}
	}
	check("init", false)    // init: removed after setup
	check("lazy", false)    // lazy: nobody named it
	check("foreign", false) // another platform's slot
	check("mine", true)     // this platform's slot
	check("bin/run", true)  // runtime
	if b, _ := os.ReadFile(filepath.Join(we, "setup-count")); string(b) != "ran\n" {
		t.Fatalf("setup ran %q, want once", b)
	}

	// Volatile: a changed file comes back on the next run; runtime files are left alone.
	if err := os.WriteFile(filepath.Join(we, "conf", "volatile.txt"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(we, "mine", "x"), []byte("mine changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.mustRun(pkg, "fresh\n", nil)
	if b, _ := os.ReadFile(filepath.Join(we, "mine", "x")); string(b) != "mine changed\n" {
		t.Fatalf("a runtime slot was extracted again: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(we, "setup-count")); string(b) != "ran\n" {
		t.Fatalf("setup ran again on a warm run: %q", b)
	}
	check("init", false)
}

func TestLazySlotOnDemand(t *testing.T) {
	slots := []packer.Slot{
		slotWith(t, "app", "runtime", "", files{"bin/run": "#!/bin/sh\ncat \"$1\"\n"}),
		slotWith(t, "lazy", "lazy", "", files{"lazy/big.txt": "big\n"}),
	}
	r := newRunner(t)
	// A package that never names slot 1 does not extract it; one that does, has it on the first run.
	without := writePackage(t, packer.Spec{Name: "nolazy", Execution: packer.Execution{Command: "sh {workenv}/bin/run {workenv}/bin/run"}, Slots: slots})
	r.run(without, nil)
	if pathExists(filepath.Join(r.workenvs()[0], "lazy")) {
		t.Fatal("lazy slot extracted without being named")
	}
	slots[1].Target = "lazy"
	with := writePackage(t, packer.Spec{Name: "withlazy", Execution: packer.Execution{Command: "sh {workenv}/bin/run {slot:1}/big.txt"}, Slots: slots})
	r2 := newRunner(t)
	r2.mustRun(with, "big\n", nil)
	r2.mustRun(with, "big\n", nil)
}

func TestSetupFailureIsRetried(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "allow")
	pkg := writePackage(t, packer.Spec{
		Name:          "setupfail",
		Execution:     packer.Execution{Command: "sh {workenv}/bin/run"},
		SetupCommands: []packer.SetupCommand{{Command: "sh {workenv}/bin/setup " + flag}},
		Slots: []packer.Slot{treeSlot(t, "app", files{
			"bin/run":   "#!/bin/sh\necho ok\n",
			"bin/setup": "#!/bin/sh\necho attempt >> \"$FLAVOR_WORKENV/../attempts\"\n[ -e \"$1\" ] || exit 3\n",
		})},
	})
	r := newRunner(t)
	res := r.run(pkg, nil)
	if res.code != 104 || res.stdout != "" {
		t.Fatalf("failing setup: want exit 104 and no output, got %s", res)
	}
	for _, want := range []string{"flavor-launcher: ", "setup command 1 (sh ", "exit code 3", "; "} {
		if !strings.Contains(res.stderr, want) {
			t.Fatalf("stderr %q does not contain %q", res.stderr, want)
		}
	}
	if strings.Count(res.stderr, "\n") != 1 {
		t.Fatalf("error is not one line: %q", res.stderr)
	}
	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r.mustRun(pkg, "ok\n", nil)
	r.mustRun(pkg, "ok\n", nil)
	b, _ := os.ReadFile(filepath.Join(r.cache, "workenv", "attempts"))
	if string(b) != "attempt\nattempt\n" {
		t.Fatalf("setup attempts %q, want two (the failed one and the retry)", b)
	}
}

func TestFreshExtractionOnRequest(t *testing.T) {
	pkg := writePackage(t, packer.Spec{
		Name:      "fresh",
		Execution: packer.Execution{Command: "sh {workenv}/bin/run"},
		Slots:     []packer.Slot{treeSlot(t, "app", files{"bin/run": "#!/bin/sh\ncat \"$FLAVOR_WORKENV/data\"\n", "data": "orig\n"})},
	})
	r := newRunner(t)
	r.mustRun(pkg, "orig\n", nil)
	we := r.workenvs()[0]
	if err := os.WriteFile(filepath.Join(we, "data"), []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.mustRun(pkg, "edited\n", nil)
	r.mustRun(pkg, "orig\n", []string{"FLAVOR_WORKENV_CACHE=0"})
}
