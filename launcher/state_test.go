//go:build unix

package launcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

func statePackage(t *testing.T) string {
	return writePackage(t, packer.Spec{Name: "stateful", Execution: packer.Execution{Command: "sh {workenv}/bin/hi"},
		Slots: []packer.Slot{treeSlot(t, "app", files{"bin/hi": "#!/bin/sh\necho hi\n"})}})
}

// TestStateLinksRefused: a symbolic link placed where the launcher keeps its state (the side
// directory of a workenv, .launch) is never followed: the run is refused (106, naming the path and
// flavor clean) or, for the launch records, does without them, and nothing is written where the
// link points.
func TestStateLinksRefused(t *testing.T) {
	pkg := statePackage(t)
	first := newRunner(t)
	first.mustRun(pkg, "hi\n", nil)
	we := first.workenvs()[0]
	side := filepath.Join(filepath.Dir(we), "."+filepath.Base(we)+".pspf")

	t.Run("side directory", func(t *testing.T) {
		r := newRunner(t)
		elsewhere := t.TempDir()
		if err := os.MkdirAll(filepath.Join(r.cache, "workenv"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(elsewhere, filepath.Join(r.cache, "workenv", filepath.Base(side))); err != nil {
			t.Fatal(err)
		}
		res := r.run(pkg, nil)
		if res.code != 106 || !strings.Contains(res.stderr, "is a symbolic link") || !strings.Contains(res.stderr, "flavor clean") {
			t.Fatalf("want exit 106 naming the link and flavor clean, got %s", res)
		}
		if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
			t.Fatalf("the launcher wrote through the link: %v", ents)
		}
	})
	t.Run("launch records", func(t *testing.T) {
		r := newRunner(t)
		elsewhere := t.TempDir()
		os.MkdirAll(filepath.Join(r.cache, "workenv"), 0o700)
		if err := os.Symlink(elsewhere, filepath.Join(r.cache, "workenv", ".launch")); err != nil {
			t.Fatal(err)
		}
		r.mustRun(pkg, "hi\n", nil)
		r.mustRun(pkg, "hi\n", nil)
		if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
			t.Fatalf("a launch record was written through the link: %v", ents)
		}
	})
	t.Run("completion marker", func(t *testing.T) {
		r := newRunner(t)
		r.mustRun(pkg, "hi\n", nil)
		w := r.workenvs()[0]
		sd := filepath.Join(filepath.Dir(w), "."+filepath.Base(w)+".pspf")
		target := filepath.Join(t.TempDir(), "complete")
		b, _ := os.ReadFile(filepath.Join(sd, "complete"))
		os.WriteFile(target, b, 0o600)
		os.Remove(filepath.Join(sd, "complete"))
		os.Symlink(target, filepath.Join(sd, "complete"))
		// A linked marker is not trusted: the tree is extracted again and the marker rewritten.
		r.mustRun(pkg, "hi\n", nil)
		if fi, err := os.Lstat(filepath.Join(sd, "complete")); err != nil || fi.Mode()&os.ModeSymlink != 0 {
			t.Fatalf("the marker is still a link: %v %v", fi, err)
		}
	})
	t.Run("writable by others", func(t *testing.T) {
		r := newRunner(t)
		r.mustRun(pkg, "hi\n", nil)
		dir := filepath.Join(r.cache, "workenv")
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
		res := r.run(pkg, nil)
		if res.code != 106 || !strings.Contains(res.stderr, "writable by others") {
			t.Fatalf("want exit 106 saying the cache is writable by others, got %s", res)
		}
	})
}

// TestDeletedTreeReextracted: a workenv removed while its completion marker stays is extracted
// again, with a warning naming flavor clean and FLAVOR_WORKENV_CACHE=0, instead of failing.
func TestDeletedTreeReextracted(t *testing.T) {
	pkg := statePackage(t)
	r := newRunner(t)
	r.mustRun(pkg, "hi\n", nil)
	if err := os.RemoveAll(r.workenvs()[0]); err != nil {
		t.Fatal(err)
	}
	res := r.mustRun(pkg, "hi\n", nil)
	if !strings.Contains(res.stderr, "flavor clean") || !strings.Contains(res.stderr, "FLAVOR_WORKENV_CACHE=0") {
		t.Fatalf("no warning naming flavor clean and FLAVOR_WORKENV_CACHE=0: %s", res)
	}
	r.mustRun(pkg, "hi\n", nil)
}

// treePackage runs its own file directly (so a deleted command is the launcher's to find) and
// writes into the workenv directory it declares, as programs write caches.
func treePackage(t *testing.T) string {
	return writePackage(t, packer.Spec{Name: "treeful",
		Execution: packer.Execution{Command: "{workenv}/bin/hi"},
		Workenv:   &packer.Workenv{Directories: []packer.WorkenvDir{{Path: "{workenv}/var", Mode: 0o700}}},
		Slots: []packer.Slot{treeSlot(t, "app", files{
			"bin/hi":        "#!/bin/sh\necho $(cat \"$FLAVOR_WORKENV/share/word\")\ndate >\"$FLAVOR_WORKENV/var/last\"\n",
			"share/word":    "hi\n",
			"share/unused/": "",
		})}})
}

// TestPartlyDeletedTreeReextracted: a complete workenv whose command was deleted (with other
// files) is extracted again with a warning naming what is missing, flavor clean and
// FLAVOR_WORKENV_CACHE=0, instead of failing with 106, at the default level.
func TestPartlyDeletedTreeReextracted(t *testing.T) {
	pkg := treePackage(t)
	r := newRunner(t)
	r.mustRun(pkg, "hi\n", nil)
	we := r.workenvs()[0]
	for _, p := range []string{"bin/hi", "share/unused"} {
		if err := os.RemoveAll(filepath.Join(we, p)); err != nil {
			t.Fatal(err)
		}
	}
	res := r.mustRun(pkg, "hi\n", nil)
	for _, want := range []string{`bin/hi missing, and 1 more`, "flavor clean", "FLAVOR_WORKENV_CACHE=0"} {
		if !strings.Contains(res.stderr, want) {
			t.Fatalf("the warning does not say %q: %s", want, res)
		}
	}
	if res = r.mustRun(pkg, "hi\n", nil); res.stderr != "" {
		t.Fatalf("the repaired tree warned again: %s", res)
	}
}

// TestDeletedScriptReextracted: a command run by an interpreter from PATH (`sh {workenv}/bin/hi`)
// whose script was deleted is repaired the same way, at the default level.
func TestDeletedScriptReextracted(t *testing.T) {
	pkg := statePackage(t)
	r := newRunner(t)
	r.mustRun(pkg, "hi\n", nil)
	if err := os.Remove(filepath.Join(r.workenvs()[0], "bin", "hi")); err != nil {
		t.Fatal(err)
	}
	if res := r.mustRun(pkg, "hi\n", nil); !strings.Contains(res.stderr, "bin/hi missing") {
		t.Fatalf("no warning naming bin/hi: %s", res)
	}
}

// TestStrictRechecksTree: at FLAVOR_VALIDATION=strict a file edited after extraction is found on
// the next start (warm path included) and the tree extracted again; files the program writes in
// its declared directories or adds elsewhere are not edits. The default level does not look.
func TestStrictRechecksTree(t *testing.T) {
	pkg := treePackage(t)
	r := newRunner(t)
	strict := []string{"FLAVOR_VALIDATION=strict"}
	r.mustRun(pkg, "hi\n", strict)
	we := r.workenvs()[0]
	if err := os.WriteFile(filepath.Join(we, "share", "extra"), []byte("added"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the second run takes the launch record's warm path
		if res := r.mustRun(pkg, "hi\n", strict); res.stderr != "" {
			t.Fatalf("run %d: an intact tree (with its own writes and an added file) warned: %s", i, res)
		}
	}
	if err := os.WriteFile(filepath.Join(we, "share", "word"), []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.mustRun(pkg, "edited\n", nil)
	res := r.mustRun(pkg, "hi\n", strict)
	if !strings.Contains(res.stderr, "share/word changed") || !strings.Contains(res.stderr, "extracting it again") {
		t.Fatalf("the strict run did not name the edited file: %s", res)
	}
	if err := os.Chmod(filepath.Join(we, "share"), 0o777); err != nil {
		t.Fatal(err)
	}
	if res := r.mustRun(pkg, "hi\n", strict); !strings.Contains(res.stderr, "share changed") {
		t.Fatalf("a directory made writable by all was not found: %s", res)
	}
	if res := r.mustRun(pkg, "hi\n", strict); res.stderr != "" {
		t.Fatalf("the re-extracted tree warned again: %s", res)
	}
}
