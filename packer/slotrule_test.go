package packer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/flavor-dev/flavor/ops"
)

// writeSlotPackage writes a package with one tar slot read from tarBytes, or an error.
func writeSlotPackage(t *testing.T, slot Slot) (string, error) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "rule.psp")
	if slot.ID == "" {
		slot.ID = "tree"
	}
	if slot.Operations == nil {
		slot.Operations = ops.Chain{ops.Tar, ops.Gzip}
	}
	_, err := Write(context.Background(), out, Spec{
		Launcher: []byte("#!/bin/sh\nexit 0\n"), Name: "rule", Version: "1",
		Execution: Execution{Command: "{workenv}/bin/true"}, Slots: []Slot{slot},
	}, WithSigner(KeyFromSeed("slot-rule")))
	return out, err
}

// extracted verifies the package the way `flavor verify` does and unpacks it as the launcher
// does, returning the destination.
func extracted(t *testing.T, psp string) string {
	t.Helper()
	if _, err := Verify(context.Background(), psp); err != nil {
		t.Fatalf("verify refused what Write wrote: %v", err)
	}
	p, err := Open(context.Background(), psp)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dest := t.TempDir()
	if err := p.ExtractAll(context.Background(), dest, WithStagingDest(true)); err != nil {
		t.Fatalf("extraction refused what Write wrote and Verify accepted: %v", err)
	}
	return dest
}

func TestSlotRuleRewritesAbsoluteLinksInsideTheTree(t *testing.T) {
	for _, tc := range []struct {
		name     string
		treeRoot string
		entries  []tarEntry
	}{
		{"workenv root", "", []tarEntry{
			{name: "usr/", typ: tar.TypeDir, mode: 0o755},
			{name: "usr/lib/", typ: tar.TypeDir, mode: 0o755},
			{name: "usr/lib/x86_64-linux-gnu/", typ: tar.TypeDir, mode: 0o755},
			{name: "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", typ: tar.TypeReg, body: "loader"},
			{name: "lib", typ: tar.TypeSymlink, link: "usr/lib"},
			{name: "lib64/", typ: tar.TypeDir, mode: 0o755},
			// The real Debian chain: absolute, through the relative /lib link.
			{name: "lib64/ld-linux-x86-64.so.2", typ: tar.TypeSymlink, link: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
			{name: "usr/bin/", typ: tar.TypeDir, mode: 0o755},
			{name: "usr/bin/loader-dir", typ: tar.TypeSymlink, link: "/usr/lib/x86_64-linux-gnu/"},
			{name: "usr/bin/root", typ: tar.TypeSymlink, link: "/"},
			// A link to a link that comes later in the archive.
			{name: "usr/bin/early", typ: tar.TypeSymlink, link: "/usr/bin/late"},
			{name: "usr/bin/late", typ: tar.TypeSymlink, link: "/lib64/ld-linux-x86-64.so.2"},
		}},
		{"tree under opt/app", "opt/app", []tarEntry{
			{name: "opt/app/usr/lib/libz.so.1.2.13", typ: tar.TypeReg, body: "loader"},
			{name: "opt/app/usr/lib/libz.so.1", typ: tar.TypeSymlink, link: "/usr/lib/libz.so.1.2.13"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			psp, err := writeSlotPackage(t, Slot{Reader: bytes.NewReader(makeTar(t, tc.entries...)), TreeRoot: tc.treeRoot})
			if err != nil {
				t.Fatal(err)
			}
			dest := extracted(t, psp)
			for _, e := range tc.entries {
				if e.typ != tar.TypeSymlink || !strings.HasPrefix(e.link, "/") {
					continue
				}
				p := filepath.Join(dest, e.name)
				got, err := os.Readlink(p)
				if err != nil {
					t.Fatal(err)
				}
				if filepath.IsAbs(got) {
					t.Errorf("%s -> %s: still absolute", e.name, got)
				}
				want, err := filepath.EvalSymlinks(filepath.Join(dest, tc.treeRoot, e.link))
				if err != nil {
					t.Fatal(err)
				}
				if res, err := filepath.EvalSymlinks(p); err != nil || res != want {
					t.Errorf("%s -> %s resolves to %q (%v), want %q", e.name, got, res, err, want)
				}
			}
		})
	}
}

func TestSlotRuleRefusesAtPackTime(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo-tree")
	if err := os.MkdirAll(filepath.Join(fifo, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(fifo, "run", "initctl"), 0o600); err != nil {
		t.Fatal(err)
	}
	hostLink := filepath.Join(dir, "host-link")
	os.MkdirAll(filepath.Join(hostLink, "usr/bin"), 0o755)
	os.Symlink("/usr/bin/python3.11", filepath.Join(hostLink, "usr/bin/python3"))
	for _, tc := range []struct {
		name string
		slot Slot
		want []string
	}{
		{"absolute link outside the tree", Slot{Reader: bytes.NewReader(makeTar(t,
			tarEntry{name: "usr/bin/python3", typ: tar.TypeSymlink, link: "/usr/bin/python3.11"}))},
			[]string{"usr/bin/python3", `"/usr/bin/python3.11"`, "include usr/bin/python3.11 in the slot, or leave usr/bin/python3 out"}},
		{"absolute link outside the tree, from a directory", Slot{Path: hostLink},
			[]string{"usr/bin/python3", `"/usr/bin/python3.11"`, "include usr/bin/python3.11 in the slot"}},
		{"relative link past the root", Slot{Reader: bytes.NewReader(makeTar(t,
			tarEntry{name: "etc/passwd", typ: tar.TypeSymlink, link: "../../etc/passwd"}))},
			[]string{`"etc/passwd"`, `"../../etc/passwd" leaves the destination`, "leave etc/passwd out of the slot"}},
		{"chain ending outside", Slot{Reader: bytes.NewReader(makeTar(t,
			tarEntry{name: "a", typ: tar.TypeSymlink, link: "b/.."},
			tarEntry{name: "b", typ: tar.TypeSymlink, link: ".."},
		))}, []string{`"b"`, "leaves the destination"}},
		{"chain through an absolute link ending outside", Slot{Reader: bytes.NewReader(makeTar(t,
			tarEntry{name: "usr/", typ: tar.TypeDir},
			tarEntry{name: "usr/up", typ: tar.TypeSymlink, link: "/"},
			tarEntry{name: "usr/out", typ: tar.TypeSymlink, link: "up/../../etc"},
		))}, []string{`"usr/out"`, "leaves the destination"}},
		{"device", Slot{Reader: bytes.NewReader(makeTar(t,
			tarEntry{name: "dev/null", typ: tar.TypeChar}))},
			[]string{`"dev/null"`, "device node", "leave dev/null out of the slot"}},
		{"fifo in a directory", Slot{Path: fifo}, []string{"run/initctl", "fifo", "leave it out of the slot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			psp, err := writeSlotPackage(t, tc.slot)
			if err == nil || !errors.Is(err, ErrSlotRule) {
				t.Fatalf("Write = %v, want an error wrapping ErrSlotRule", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			left, _ := os.ReadDir(filepath.Dir(psp))
			if len(left) != 0 {
				t.Errorf("Write left %d files behind (%s…)", len(left), left[0].Name())
			}
		})
	}
}

// TestSlotRuleProperty: over generated trees, a package Write writes and Verify accepts always
// extracts, every link of it resolves inside the destination, and every file has its content;
// what Write refuses it refuses with ErrSlotRule and leaves nothing behind.
func TestSlotRuleProperty(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 50
	}
	written, refused := 0, 0
	for seed := range seeds {
		entries := generateEntries(rand.New(rand.NewSource(int64(seed))))
		psp, err := writeSlotPackage(t, Slot{Reader: bytes.NewReader(makeTar(t, entries...))})
		if err != nil {
			if !errors.Is(err, ErrSlotRule) {
				t.Fatalf("seed %d: Write = %v, want nil or ErrSlotRule", seed, err)
			}
			if left, _ := os.ReadDir(filepath.Dir(psp)); len(left) != 0 {
				t.Fatalf("seed %d: refused Write left files behind", seed)
			}
			refused++
			continue
		}
		written++
		dest := extracted(t, psp)
		checkInside(t, seed, dest, entries)
	}
	t.Logf("%d trees written, %d refused", written, refused)
	if written < seeds/10 || refused < seeds/10 {
		t.Fatalf("generator is lopsided: %d written, %d refused", written, refused)
	}
}

// checkInside walks the extracted tree: links resolve inside dest (or dangle inside it), regular
// files hold what the archive said.
func checkInside(t *testing.T, seed int, dest string, entries []tarEntry) {
	t.Helper()
	bodies := map[string]string{}
	for _, e := range entries {
		if e.typ == tar.TypeReg {
			bodies[strings.TrimSuffix(e.name, "/")] = e.body
		}
	}
	filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		rel, _ := filepath.Rel(dest, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			if filepath.IsAbs(target) {
				t.Fatalf("seed %d: %s -> %s is absolute after extraction", seed, rel, target)
			}
			if !insideAfterLinks(dest, filepath.Dir(p), target) {
				t.Fatalf("seed %d: %s -> %s leaves the destination", seed, rel, target)
			}
		case d.Type().IsRegular():
			b, _ := os.ReadFile(p)
			if want, ok := bodies[filepath.ToSlash(rel)]; ok && string(b) != want {
				t.Fatalf("seed %d: %s holds %q, want %q", seed, rel, b, want)
			}
		}
		return nil
	})
}

// insideAfterLinks resolves target from dir on disk, component by component, and reports
// whether it stays under root.
func insideAfterLinks(root, dir, target string) bool {
	cur := dir
	todo := strings.Split(target, "/")
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if cur == root {
				return false
			}
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		if l, err := os.Readlink(next); err == nil {
			if hops++; hops > 40 || filepath.IsAbs(l) {
				return false
			}
			todo = append(strings.Split(l, "/"), todo...)
			continue
		}
		cur = next
	}
	return cur == root || strings.HasPrefix(cur, root+string(filepath.Separator))
}

// generateEntries makes a small random tree: directories, files with odd names, absolute,
// relative, chained and dangling symlinks, links to directories, hard links, and now and then a
// device or fifo.
func generateEntries(r *rand.Rand) []tarEntry {
	names := []string{"a", "b", "lib", "usr", "bin", "x y", "ünï", "-dash", ".hidden", "l.so.1"}
	dirs := []string{""}
	var files, all []string
	var out []tarEntry
	pick := func(s []string) string { return s[r.Intn(len(s))] }
	for i, n := 0, 4+r.Intn(14); i < n; i++ {
		parent := pick(dirs)
		name := strings.TrimPrefix(parent+"/"+pick(names)+fmt.Sprint(i), "/")
		switch k := r.Intn(20); {
		case k < 4:
			out = append(out, tarEntry{name: name + "/", typ: tar.TypeDir, mode: 0o755})
			dirs = append(dirs, name)
		case k < 9:
			out = append(out, tarEntry{name: name, typ: tar.TypeReg, body: fmt.Sprintf("file %d", i)})
			files = append(files, name)
		case k < 11 && len(files) > 0:
			out = append(out, tarEntry{name: name, typ: tar.TypeLink, link: pick(files)})
		case k < 14 && len(all) > 0: // absolute link to something of the tree, or a dangling one
			target := "/" + pick(all)
			if r.Intn(5) == 0 {
				target = "/nowhere/" + pick(names)
			}
			out = append(out, tarEntry{name: name, typ: tar.TypeSymlink, link: target})
		case k < 18 && len(all) > 0: // relative link, sometimes climbing too far
			up := strings.Count(name, "/") + r.Intn(2)
			if r.Intn(3) == 0 {
				up = r.Intn(up + 1)
			}
			out = append(out, tarEntry{name: name, typ: tar.TypeSymlink, link: strings.Repeat("../", up) + pick(all)})
		case k == 18:
			out = append(out, tarEntry{name: name, typ: tar.TypeChar})
		case k == 19:
			out = append(out, tarEntry{name: name, typ: tar.TypeFifo})
		default:
			out = append(out, tarEntry{name: name, typ: tar.TypeReg, body: "plain"})
			files = append(files, name)
		}
		all = append(all, strings.TrimSuffix(out[len(out)-1].name, "/"))
	}
	return out
}
