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
