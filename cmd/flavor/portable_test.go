package main

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

// hostShellRoot lays out this machine's /bin/sh like a distro root under dir: the program in
// usr/bin, loader and libraries in usr/lib/multiarch (named by the root's ld.so.conf), and the
// loader's PT_INTERP path as an absolute link. It returns the libraries' names. skip leaves one
// out.
func hostShellRoot(t *testing.T, dir, skip string) []string {
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
	var interp string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			p.ReadAt(b, 0)
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	needed, _ := f.DynString(elf.DT_NEEDED)
	if interp == "" || len(needed) == 0 {
		t.Fatalf("%s is not dynamically linked; the test needs a dynamic program of the host", exe)
	}
	put := func(src, dst string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	put(exe, filepath.Join(dir, "usr/bin/prog"))
	put(interp, filepath.Join(dir, "usr/lib/multiarch", filepath.Base(interp)))
	for _, n := range needed {
		if n == skip {
			continue
		}
		m, _ := filepath.Glob("/usr/lib/*/" + n)
		if len(m) == 0 {
			t.Fatalf("cannot find the host's %s", n)
		}
		put(m[0], filepath.Join(dir, "usr/lib/multiarch", n))
	}
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/ld.so.conf"), []byte("/usr/lib/multiarch\n"), 0o644)
	link := filepath.Join(dir, interp)
	os.MkdirAll(filepath.Dir(link), 0o755)
	if err := os.Symlink("/usr/lib/multiarch/"+filepath.Base(interp), link); err != nil {
		t.Fatal(err)
	}
	return needed
}

const portableManifest = `schema-version = "1"
[package]
name = "portable-sh"
version = "1.0.0"
[execution]
command = "{workenv}/usr/bin/prog"
[[slots]]
id = "root"
source = "root/"
`

// TestPackPortableProgram: a dynamically linked program whose loader is in the package starts
// through that loader with the package's libraries (auto mode), sees its own name in argv[0]
// and the loader as /proc/self/exe; a library missing from the package stops pack, naming it and
// the program, and nothing is written.
func TestPackPortableProgram(t *testing.T) {
	dir := t.TempDir()
	hostShellRoot(t, filepath.Join(dir, "root"), "")
	os.WriteFile(filepath.Join(dir, "flavor.toml"), []byte(portableManifest), 0o644)
	out := filepath.Join(t.TempDir(), "sh.psp")
	if stdout, stderr, code := runApp(t, "pack", "--manifest", filepath.Join(dir, "flavor.toml"), "--launcher-bin", launcherBin, "--key-seed", "test123", "-o", out); code != 0 {
		t.Fatalf("pack exited %d\n%s\n%s", code, stdout, stderr)
	}
	p, err := packer.Open(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	ex := p.Metadata().Execution
	p.Close()
	if ex.Loader == "" || !strings.HasPrefix(ex.Loader, "{workenv}/") || len(ex.LibraryPath) != 1 || ex.LibraryPath[0] != "{workenv}/usr/lib/multiarch" {
		t.Fatalf("execution loader %q, library path %q: want the package's loader and {workenv}/usr/lib/multiarch", ex.Loader, ex.LibraryPath)
	}
	cache := t.TempDir()
	stdout, stderr, code := runPSP(t, out, cache, "-c", `echo "$0"; readlink /proc/$$/exe`)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasSuffix(lines[0], "/usr/bin/prog") || !strings.HasSuffix(lines[1], filepath.Base(ex.Loader)) {
		t.Fatalf("exit %d, stdout %q, stderr %q: want argv[0] …/usr/bin/prog and /proc/self/exe the package's loader", code, stdout, stderr)
	}
	if !strings.HasPrefix(lines[1], cache) {
		t.Errorf("/proc/self/exe is %s, not the loader in the workenv under %s", lines[1], cache)
	}

	t.Run("missing library", func(t *testing.T) {
		dir := t.TempDir()
		needed := hostShellRoot(t, filepath.Join(dir, "root"), "")
		os.RemoveAll(filepath.Join(dir, "root"))
		hostShellRoot(t, filepath.Join(dir, "root"), needed[0])
		os.WriteFile(filepath.Join(dir, "flavor.toml"), []byte(portableManifest), 0o644)
		outDir := t.TempDir()
		_, stderr, code := runApp(t, "pack", "--manifest", filepath.Join(dir, "flavor.toml"), "--launcher-bin", launcherBin, "--key-seed", "test123", "-o", filepath.Join(outDir, "sh.psp"))
		if code == 0 || !strings.Contains(stderr, "usr/bin/prog needs "+needed[0]) || !strings.Contains(stderr, "include it in the package") {
			t.Fatalf("pack exited %d: %s\nwant a failure naming %s, the program and the fix", code, stderr, needed[0])
		}
		if left, _ := os.ReadDir(outDir); len(left) != 0 {
			t.Errorf("pack left %s behind", left[0].Name())
		}
	})
}
