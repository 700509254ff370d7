//go:build unix

package packer

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLeftoverNames(t *testing.T) {
	tests := []struct {
		name, base string
		want       bool
	}{
		{".hello.psp.123456.slots", "hello.psp", true},
		{".hello.psp.123456.tmp", "hello.psp", true},
		{".hello.psp.123456.slots", "", true},
		{".other.psp.1.slots", "hello.psp", false},
		{".hello.psp.slots", "hello.psp", false},         // no random part
		{".hello.psp.12a.slots", "hello.psp", false},     // not CreateTemp's digits
		{"hello.psp.123.slots", "hello.psp", false},      // not hidden
		{".notes.txt.123.tmp", "", false},                // not a package's
		{".psp.123.tmp", "", false},                      // no name
		{".hello.psp.123.slots.bak", "hello.psp", false}, // another ending
	}
	for _, tt := range tests {
		if got := isLeftoverName(tt.name, tt.base); got != tt.want {
			t.Errorf("isLeftoverName(%q, %q) = %v, want %v", tt.name, tt.base, got, tt.want)
		}
	}
}

// TestRemoveLeftovers: a killed pack's spool and temporary package go; a live pack's (held),
// another package's (when a name is given), an empty just-created one and the package stay.
func TestRemoveLeftovers(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dead := write(".hello.psp.111.slots", "spooled slot bytes")
	deadTmp := write(".hello.psp.222.tmp", "half a package")
	live := write(".hello.psp.333.slots", "being written")
	other := write(".other.psp.444.slots", "another package's")
	fresh := write(".hello.psp.555.slots", "")
	oldEmpty := write(".hello.psp.666.tmp", "")
	old := time.Now().Add(-2 * freshGrace)
	os.Chtimes(oldEmpty, old, old)
	pkg := write("hello.psp", "a package")
	f, err := os.Open(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := holdWorkingFile(f); err != nil {
		t.Fatal(err)
	}

	dry, err := RemoveLeftovers(dir, "hello.psp", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(dry) != 3 {
		t.Fatalf("dry run lists %v, want 3 leftovers", dry)
	}
	if _, err := os.Stat(dead); err != nil {
		t.Fatalf("dry run removed %s", dead)
	}
	got, err := RemoveLeftovers(dir, "hello.psp", false)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, l := range got {
		paths = append(paths, l.Path)
	}
	slices.Sort(paths)
	if want := []string{dead, deadTmp, oldEmpty}; !slices.Equal(paths, want) || got[0].Size != int64(len("spooled slot bytes")) {
		t.Fatalf("removed %v, want %v with sizes", got, want)
	}
	for _, p := range []string{live, other, fresh, pkg} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
	if got, _ := RemoveLeftovers(dir, "", false); len(got) != 1 || got[0].Path != other {
		t.Errorf("with no name: removed %v, want only %s", got, other)
	}
}

// TestWriteRemovesLeftovers: the next Write of a package removes what a killed one left.
func TestWriteRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	left := filepath.Join(dir, ".demo.psp.987654.slots")
	if err := os.WriteFile(left, []byte(strings.Repeat("x", 4096)), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := baseSpec(Slot{ID: "script", Reader: strings.NewReader("echo hi\n"), Target: "bin/run.sh", Permissions: 0o755})
	if _, err := Write(context.Background(), filepath.Join(dir, "demo.psp"), spec, WithSigner(KeyFromSeed("k"))); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"demo.psp"}) {
		t.Fatalf("after Write the directory holds %v, want only demo.psp", names)
	}
}
