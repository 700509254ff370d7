//go:build integration

package integration

import (
	"bytes"
	"debug/elf"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// zdemoWant is what examples/zdemo prints for its built-in text: the same on every host.
const zdemoWant = "input 166 bytes\nzlib 1.2.13: 83 bytes\nzstd 1.5.4: 80 bytes\nboth round-trip\n"

// copyTree copies the directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "dist" || rel == "flavor.lock" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestZdemoExampleRunsWithoutHostLibraries: examples/zdemo, a C program compiled with gcc in
// the Debian image and linked against Debian's libz and libzstd, packs for linux/amd64 and linux/arm64 with its
// runtime carved out of the same image; the .psp runs here and inside a container of a
// busybox-static image that has no glibc, no zlib and no zstd, natively and under qemu, with the same output. The program
// in the package is dynamically linked (PT_INTERP, DT_NEEDED libz and libzstd), and the package
// starts it through its own loader.
func TestZdemoExampleRunsWithoutHostLibraries(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Fatalf("this test runs linux/amd64 natively; this machine is %s", runtime.GOARCH)
	}
	d := dockerEngine(t)
	bbTag, _ := busybox(t, d, amd64)
	arm64Tag, _ := busybox(t, d, arm64)
	_, file, _, _ := runtime.Caller(0)
	dir := t.TempDir()
	copyTree(t, filepath.Join(filepath.Dir(file), "..", "examples", "zdemo"), dir)
	args := append([]string{"pack", "--output-format", "json"}, launcherArgs(t)...)
	r := runBundleFlavor(t, dir, filepath.Join(dir, ".cache"), append(args, "-o", "dist")...).must(t, "packing examples/zdemo")
	psps := r.report(t).psps()
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		if psps[p] == "" {
			t.Fatalf("no %s package in %s", p, r.stdout)
		}
		if !filepath.IsAbs(psps[p]) {
			psps[p] = filepath.Join(dir, psps[p])
		}
	}
	psp := psps["linux/amd64"]

	// ldd-style facts, read from the package's own files.
	out := filepath.Join(t.TempDir(), "x")
	runBundleFlavor(t, dir, filepath.Join(dir, ".cache"), "extract", "--out", out, psp).must(t, "extracting")
	f, err := elf.Open(filepath.Join(out, "usr/bin/zdemo"))
	if err != nil {
		t.Fatal(err)
	}
	needed, _ := f.DynString(elf.DT_NEEDED)
	var interp string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp = "set"
		}
	}
	f.Close()
	joined := strings.Join(needed, " ")
	if interp == "" || !strings.Contains(joined, "libz.so.1") || !strings.Contains(joined, "libzstd.so.1") || !strings.Contains(joined, "libc.so.6") {
		t.Fatalf("usr/bin/zdemo: interpreter %q, needed %q: want a dynamic program needing libz, libzstd and libc", interp, needed)
	}
	for _, lib := range []string{"libz.so.1", "libzstd.so.1", "libc.so.6"} {
		if m, _ := filepath.Glob(filepath.Join(out, "usr/lib/*/"+lib)); len(m) == 0 {
			t.Errorf("the package has no %s", lib)
		}
	}
	if target, err := os.Readlink(filepath.Join(out, "usr/lib64/ld-linux-x86-64.so.2")); err != nil || filepath.IsAbs(target) {
		t.Errorf("usr/lib64/ld-linux-x86-64.so.2 -> %q (%v): want Debian's absolute link rewritten relative", target, err)
	}

	// Here, with nothing of the host on PATH.
	for plat, p := range psps {
		stdout, stderr, code := runPSP(t, p, t.TempDir())
		if code != 0 || stdout != zdemoWant {
			t.Fatalf("%s on the host: exit %d, stdout %q, stderr %q", plat, code, stdout, stderr)
		}
	}

	// In busybox-static containers: no loader, libc, libz or libzstd anywhere on their
	// filesystem; amd64 natively, arm64 under qemu.
	for _, p := range []struct {
		plat string
		psp  string
		tag  string
	}{{"linux/amd64", psp, bbTag}, {"linux/arm64", psps["linux/arm64"], arm64Tag}} {
		inContainer(t, p.plat, p.psp, p.tag)
	}
}

func inContainer(t *testing.T, plat, psp, tag string) {
	t.Helper()
	script := `n=$(find / -xdev \( -name 'ld-linux*' -o -name 'libc.so*' -o -name 'libz.so*' -o -name 'libzstd.so*' \) 2>/dev/null | wc -l); echo "libraries: $n"; /pkg/zdemo.psp`
	cmd := exec.Command("docker", "run", "--rm", "--platform", plat, "-e", "FLAVOR_CACHE=/tmp/cache",
		"-v", psp+":/pkg/zdemo.psp:ro", tag, "sh", "-c", script)
	var cout, cerr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &cout, &cerr
	if err := cmd.Run(); err != nil {
		t.Fatalf("in the %s busybox container: %v\nstdout %s\nstderr %s", plat, err, cout.String(), cerr.String())
	}
	if cout.String() != "libraries: 0\n"+zdemoWant {
		t.Fatalf("in the %s busybox container: %q, want no libraries and %q", plat, cout.String(), zdemoWant)
	}
}
