package delta

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// stateOf describes what dir holds at each path: type, mode, owner, content or link target,
// inode sharing and capability.
func stateOf(t *testing.T, dir string, paths ...string) []string {
	t.Helper()
	var out []string
	inodes := map[uint64]string{}
	for _, p := range paths {
		h := filepath.Join(dir, p)
		fi, err := os.Lstat(h)
		if err != nil {
			out = append(out, p+" missing")
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		line := fmt.Sprintf("%s %04o %d:%d", p, st.Mode&0o7777, st.Uid, st.Gid)
		switch m := fi.Mode(); {
		case m.IsRegular():
			b, err := os.ReadFile(h)
			if err != nil {
				t.Fatal(err)
			}
			line += fmt.Sprintf(" %q", b)
			if first, ok := inodes[st.Ino]; ok {
				line += " same-inode-as " + first
			}
			inodes[st.Ino] = p
		case m.IsDir():
			line += " dir"
		case m&fs.ModeSymlink != 0:
			target, _ := os.Readlink(h)
			line += " -> " + target
		case m&fs.ModeNamedPipe != 0:
			line += " fifo"
		case m&fs.ModeDevice != 0:
			line += fmt.Sprintf(" dev %d,%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		if c, err := getXattr(h, xattrCapability); err == nil {
			line += fmt.Sprintf(" cap=%x", c)
		}
		out = append(out, line)
	}
	return out
}

func applyEntries(t *testing.T, dir string, entries []tarEntry, compress bool) error {
	t.Helper()
	in := writeTestTar(t, entries)
	if compress {
		tree, err := FromTar(context.Background(), bytes.NewReader(in), WithTempDir(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		defer tree.Close()
		var buf bytes.Buffer
		if _, err := tree.WriteArtifact(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		in = buf.Bytes()
	}
	return Apply(context.Background(), dir, bytes.NewReader(in))
}

func TestApplyRoundTrip(t *testing.T) {
	// An artifact from an overlay delta, written and applied: everything survives.
	ov := sampleUpper(t, false, later)
	tree, err := FromOverlay(context.Background(), ov)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	var buf bytes.Buffer
	if _, err := tree.WriteArtifact(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Apply(context.Background(), dir, &buf); err != nil {
		t.Fatal(err)
	}
	got := stateOf(t, dir, "opt", "opt/app", "opt/app/run", "opt/app/data", "opt/app/current", "ping", "a-link", "z")
	want := []string{
		"opt 0755 0:0 dir", "opt/app 0750 100:100 dir", `opt/app/run 4755 0:0 "run"`, `opt/app/data 0644 100:100 "data"`,
		"opt/app/current 0777 0:0 -> run", fmt.Sprintf(`ping 0755 0:0 "p" cap=%x`, capNetRaw()),
		`a-link 0644 0:0 "z"`, `z 0644 0:0 "z" same-inode-as a-link`,
	}
	diffLines(t, "applied", got, want)
	fi, err := os.Stat(filepath.Join(dir, "opt/app"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.ModTime().Unix() != 0 {
		t.Errorf("directory mtime %v, want the artifact's 0", fi.ModTime())
	}
}

func TestApplyNodes(t *testing.T) {
	dir := t.TempDir()
	err := applyEntries(t, dir, []tarEntry{
		{name: "dev/", typ: tar.TypeDir},
		{name: "dev/null", typ: tar.TypeChar, mode: 0o666},
		{name: "dev/fifo", typ: tar.TypeFifo, mode: 0o620, uid: 5, gid: 6},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	diffLines(t, "applied", stateOf(t, dir, "dev/null", "dev/fifo"), []string{"dev/null 0666 0:0 dev 0,0", "dev/fifo 0620 5:6 fifo"})
}

func TestApplyLayers(t *testing.T) {
	dir := t.TempDir()
	first := []tarEntry{
		{name: "etc/", typ: tar.TypeDir},
		{name: "etc/a", typ: tar.TypeReg, body: "a"},
		{name: "x", typ: tar.TypeReg, body: "file"},
		{name: "d/", typ: tar.TypeDir, mode: 0o700},
		{name: "d/old", typ: tar.TypeReg, body: "old"},
		{name: "l", typ: tar.TypeSymlink, link: "etc"},
	}
	second := []tarEntry{
		{name: "etc/", typ: tar.TypeDir},
		{name: "etc/b", typ: tar.TypeReg, body: "b"},
		{name: "etc/a", typ: tar.TypeReg, body: "A2", mode: 0o600},
		{name: "x/", typ: tar.TypeDir},
		{name: "x/y", typ: tar.TypeReg, body: "y"},
		{name: "d/", typ: tar.TypeDir, mode: 0o755, uid: 100, gid: 100},
		{name: "l", typ: tar.TypeReg, body: "now a file"},
	}
	for i, layer := range [][]tarEntry{first, second} {
		if err := applyEntries(t, dir, layer, i == 1); err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
	}
	got := stateOf(t, dir, "etc/a", "etc/b", "x", "x/y", "d", "d/old", "l")
	want := []string{
		`etc/a 0600 0:0 "A2"`, `etc/b 0644 0:0 "b"`, "x 0755 0:0 dir", `x/y 0644 0:0 "y"`,
		"d 0755 100:100 dir", `d/old 0644 0:0 "old"`, `l 0644 0:0 "now a file"`,
	}
	diffLines(t, "layered", got, want)

	if err := RemovePaths(context.Background(), dir, []string{"etc/a", "/d", "never/there"}); err != nil {
		t.Fatal(err)
	}
	diffLines(t, "after removals", stateOf(t, dir, "etc/a", "etc/b", "d"), []string{"etc/a missing", `etc/b 0644 0:0 "b"`, "d missing"})
}

func TestApplyRefusesEscapes(t *testing.T) {
	tests := []struct {
		name    string
		entries []tarEntry
	}{
		{"dot-dot", []tarEntry{{name: "../evil", typ: tar.TypeReg, body: "x"}}},
		{"dot-dot inside", []tarEntry{{name: "a/../../evil", typ: tar.TypeReg, body: "x"}}},
		{"through an absolute symlink", []tarEntry{{name: "l", typ: tar.TypeSymlink, link: "/"}, {name: "l/evil", typ: tar.TypeReg, body: "x"}}},
		{"through a relative symlink", []tarEntry{{name: "l", typ: tar.TypeSymlink, link: "../.."}, {name: "l/evil", typ: tar.TypeReg, body: "x"}}},
		{"hard link out", []tarEntry{{name: "h", typ: tar.TypeLink, link: "../outside"}}},
		{"directory through a symlink", []tarEntry{{name: "l", typ: tar.TypeSymlink, link: ".."}, {name: "l/evil/", typ: tar.TypeDir}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			if err := os.WriteFile(filepath.Join(parent, "outside"), []byte("o"), 0o644); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(parent, "root")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			err := applyEntries(t, dir, tt.entries, false)
			if !errors.Is(err, ErrUnsafePath) {
				t.Errorf("err = %v, want ErrUnsafePath", err)
			}
			ents, _ := os.ReadDir(parent)
			if len(ents) != 2 {
				t.Errorf("something was written outside the root: %v", ents)
			}
			if _, err := os.Stat(filepath.Join(parent, "evil")); err == nil {
				t.Error("evil was written outside the root")
			}
		})
	}
}
