package portable

import (
	"archive/tar"
	"context"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hostProgram is a dynamically linked program of this machine (Debian's /bin/sh), with its
// loader and libraries as the host resolves them.
type hostProgram struct {
	path, interp string
	needed       []string
	libs         map[string]string // soname → host file
}

func dynamicHostProgram(t *testing.T) hostProgram {
	t.Helper()
	exe, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hp := hostProgram{path: exe, libs: map[string]string{}}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			p.ReadAt(b, 0)
			hp.interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if hp.interp == "" {
		t.Fatalf("%s is not dynamically linked; the test needs a dynamic program of the host", exe)
	}
	hp.needed, _ = f.DynString(elf.DT_NEEDED)
	for _, n := range hp.needed {
		for _, d := range []string{"/lib", "/usr/lib", "/lib64", "/usr/lib64"} {
			matches, _ := filepath.Glob(filepath.Join(d, "*", n))
			matches = append(matches, filepath.Join(d, n))
			for _, m := range matches {
				if _, err := os.Stat(m); err == nil && hp.libs[n] == "" {
					hp.libs[n] = m
				}
			}
		}
		if hp.libs[n] == "" {
			t.Fatalf("cannot find the host's %s", n)
		}
	}
	return hp
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(dst), 0o755)
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// distroTree lays out the program like a merged-/usr distro root under dir: the program in
// usr/bin, the loader and libraries in usr/lib/<dir>, /lib a relative link to usr/lib, and the
// loader's PT_INTERP path an absolute link. skip leaves one library out.
func distroTree(t *testing.T, hp hostProgram, dir, skip string) {
	t.Helper()
	copyFile(t, hp.path, filepath.Join(dir, "usr/bin/prog"))
	libdir := "usr/lib/multiarch"
	copyFile(t, hp.interp, filepath.Join(dir, libdir, filepath.Base(hp.interp)))
	for n, src := range hp.libs {
		if n != skip {
			copyFile(t, src, filepath.Join(dir, libdir, n))
		}
	}
	os.MkdirAll(filepath.Join(dir, "etc/ld.so.conf.d"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/ld.so.conf"), []byte("include /etc/ld.so.conf.d/*.conf\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "etc/ld.so.conf.d/multiarch.conf"), []byte("# the tree's own\n/"+libdir+"\n"), 0o644)
	os.Symlink("usr/lib", filepath.Join(dir, "lib"))
	interp := filepath.Join(dir, hp.interp)
	if _, err := os.Lstat(interp); err != nil {
		os.MkdirAll(filepath.Dir(interp), 0o755)
		if err := os.Symlink("/"+libdir+"/"+filepath.Base(hp.interp), interp); err != nil {
			t.Fatal(err)
		}
	}
}

func TestProgramFromDirectory(t *testing.T) {
	hp := dynamicHostProgram(t)
	dir := t.TempDir()
	distroTree(t, hp, dir, "")
	tree := NewTree()
	defer tree.Close()
	if err := tree.AddDir(context.Background(), dir, ""); err != nil {
		t.Fatal(err)
	}
	p, err := tree.Program("usr/bin/prog", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Interpreter != strings.TrimPrefix(hp.interp, "/") {
		t.Errorf("interpreter %q, want %q", p.Interpreter, hp.interp)
	}
	if len(p.LibraryPath) != 1 || p.LibraryPath[0] != "usr/lib/multiarch" {
		t.Errorf("library path %q, want [usr/lib/multiarch] (from the tree's ld.so.conf)", p.LibraryPath)
	}
	if len(p.Libraries) < len(hp.needed) {
		t.Errorf("libraries %q, want at least %q", p.Libraries, hp.needed)
	}

	// And it runs that way, from the tree alone.
	// (The tree's absolute loader link means the tree's file; packer rewrites it so in a slot.)
	cmd := exec.Command(filepath.Join(dir, "usr/lib/multiarch", filepath.Base(p.Interpreter)), "--library-path", filepath.Join(dir, p.LibraryPath[0]),
		"--inhibit-cache", "--argv0", "prog", filepath.Join(dir, "usr/bin/prog"), "-c", "echo from the tree")
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "from the tree\n" {
		t.Fatalf("running through the tree's loader: %v: %s", err, out)
	}
}

func TestProgramFromTarFile(t *testing.T) {
	hp := dynamicHostProgram(t)
	dir := t.TempDir()
	distroTree(t, hp, dir, "")
	tarFile := filepath.Join(t.TempDir(), "slot.tar")
	if out, err := exec.Command("tar", "-C", dir, "-cf", tarFile, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	tree := NewTree()
	defer tree.Close()
	if err := tree.AddTarFile(context.Background(), tarFile, ""); err != nil {
		t.Fatal(err)
	}
	p, err := tree.Program("usr/bin/prog", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.LibraryPath) != 1 || p.LibraryPath[0] != "usr/lib/multiarch" {
		t.Errorf("library path %q", p.LibraryPath)
	}
}

func TestProgramRefusals(t *testing.T) {
	hp := dynamicHostProgram(t)
	missing := hp.needed[0]
	for _, tc := range []struct {
		name    string
		prepare func(dir string)
		prog    string
		want    error
		says    []string
	}{
		{"missing library", func(dir string) { distroTree(t, hp, dir, missing) }, "usr/bin/prog",
			ErrMissingLibrary, []string{"usr/bin/prog needs " + missing, "include it in the package", "includes"}},
		{"missing loader", func(dir string) {
			distroTree(t, hp, dir, "")
			os.Remove(filepath.Join(dir, "usr/lib/multiarch", filepath.Base(hp.interp)))
		}, "usr/bin/prog", ErrNoLoader, []string{hp.interp, "include it"}},
		{"a script", func(dir string) {
			os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
			os.WriteFile(filepath.Join(dir, "bin/prog"), []byte("#!/bin/sh\n"), 0o755)
		}, "bin/prog", ErrNotDynamic, nil},
		{"no such program", func(dir string) {}, "bin/none", ErrNotFound, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.prepare(dir)
			tree := NewTree()
			defer tree.Close()
			if err := tree.AddDir(context.Background(), dir, ""); err != nil {
				t.Fatal(err)
			}
			_, err := tree.Program(tc.prog, "")
			if !errors.Is(err, tc.want) {
				t.Fatalf("Program = %v, want %v", err, tc.want)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestTarOffsets: contents read through a tar file's offsets are the entries' contents, also
// after entries whose data archive/tar skipped.
func TestTarOffsets(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.tar")
	f, _ := os.Create(file)
	tw := tar.NewWriter(f)
	for i, body := range []string{strings.Repeat("x", 1000), "second", strings.Repeat("y", 513), "etc"} {
		name := []string{"a", "b", "c", "etc/ld.so.conf"}[i]
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body)), PAXRecords: map[string]string{"comment": strings.Repeat("p", i*300)}})
		tw.Write([]byte(body))
	}
	tw.Close()
	f.Close()
	tree := NewTree()
	defer tree.Close()
	if err := tree.AddTarFile(context.Background(), file, ""); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"b": "second", "etc/ld.so.conf": "etc"} {
		got, err := tree.readFile(name, "")
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
}
