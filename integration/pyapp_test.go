//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/specs/manifest"
)

// pyappWant is what examples/pyapp prints for its built-in text, on every host.
const pyappWant = "word   count\n-----  -----\nthe    3\nfox    2\nbrown  1\n" +
	"zlib 1.2.13: 51 -> 53 bytes\nsqlite 3.40.1, python 3.11\nsys.path entries outside the package: 0\n"

// pythonImage is setup.sh's Debian image with python3 and pip.
const pythonImage = "127.0.0.1:5000/debian:bookworm-python"

func pyappDir(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := t.TempDir()
	copyTree(t, filepath.Join(filepath.Dir(file), "..", "examples", "pyapp"), dir)
	return dir
}

func readLock(t *testing.T, dir string) *manifest.Lock {
	t.Helper()
	l, err := manifest.ReadLock(context.Background(), filepath.Join(dir, "flavor.lock"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// lockKeys maps "install-id system" to the locked cache key.
func lockKeys(l *manifest.Lock) map[string]string {
	out := map[string]string{}
	for _, e := range l.Packages {
		out[e.InstallID+" "+e.System] = e.CacheKey
	}
	return out
}

// TestPyappExample: examples/pyapp (a pyproject.toml with FlavorPack's keys, a local dependency
// from find_links, sqlite3 and zlib from the standard library) is built in containers of the
// Python image for linux/amd64 and linux/arm64 (qemu), runtime and app in two slots. Its .psp
// prints the same here and in busybox-static containers with no Python and no glibc, writes
// nothing into its workenv when it runs, passes exit codes through; `pack --locked` gives the
// same bytes from the lock's builds and from an empty cache; editing an app file rebuilds the
// app only.
func TestPyappExample(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Fatalf("this test runs linux/amd64 natively; this machine is %s", runtime.GOARCH)
	}
	d := dockerEngine(t)
	bbAmd64, _ := busybox(t, d, amd64)
	bbArm64, _ := busybox(t, d, arm64)
	dir := pyappDir(t)
	cache := t.TempDir()
	// The lock first (it builds everything into an empty cache), then `pack --locked`.
	runBundleFlavor(t, dir, cache, append([]string{"lock", "--manifest", "pyproject.toml"}, launcherArgs(t)...)...).must(t, "locking examples/pyapp")
	args := append([]string{"pack", "--manifest", "pyproject.toml", "--output-format", "json", "--locked"}, launcherArgs(t)...)
	r := runBundleFlavor(t, dir, cache, append(args, "-o", "dist")...).must(t, "packing examples/pyapp --locked")
	if n := r.report(t).Install.Containers; n != 0 {
		t.Errorf("pack --locked after lock started %d containers, want 0 (all in the cache)", n)
	}
	psps := r.report(t).psps()
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		if psps[p] == "" {
			t.Fatalf("no %s package in %s", p, r.stdout)
		}
		if !filepath.IsAbs(psps[p]) {
			psps[p] = filepath.Join(dir, psps[p])
		}
	}

	// The lock pins the image by digest for both builds of each system, and the runtime entries
	// the resolved dependency versions.
	lock := readLock(t, dir)
	if len(lock.Packages) != 4 {
		t.Fatalf("lock has %d entries, want runtime and app for 2 systems: %+v", len(lock.Packages), lock.Packages)
	}
	runtimes := 0
	for _, e := range lock.Packages {
		if !strings.HasPrefix(e.BaseImage, pythonImage+"@sha256:") {
			t.Errorf("lock entry %s %s: base image %q, want %s by digest", e.InstallID, e.System, e.BaseImage, pythonImage)
		}
		want := []string(nil)
		if e.InstallID == "python-runtime" {
			want = []string{"tinytable==1.2.0"}
			runtimes++
		}
		if !slices.Equal(e.PythonDependencies, want) {
			t.Errorf("lock entry %s %s: python-dependencies %q, want %q", e.InstallID, e.System, e.PythonDependencies, want)
		}
	}
	if runtimes != 2 {
		t.Errorf("lock has %d python-runtime entries, want 2 (linux/amd64, linux/arm64)", runtimes)
	}

	// Two slots; the runtime holds the interpreter, the stdlib's extension modules with their
	// libraries and the dependency with its resolved version; no build path anywhere.
	out := filepath.Join(t.TempDir(), "x")
	runBundleFlavor(t, dir, cache, "extract", "--out", out, psps["linux/amd64"]).must(t, "extracting")
	for _, f := range []string{"bin/python3.11", "lib/python3.11/lib-dynload/_sqlite3.cpython-311-x86_64-linux-gnu.so",
		"lib/x86_64-linux-gnu/libsqlite3.so.0", "lib/x86_64-linux-gnu/libz.so.1", "lib/x86_64-linux-gnu/libssl.so.3",
		"lib64/ld-linux-x86-64.so.2", "lib/python3/dist-packages/tinytable/__init__.py", "app/pyapp/cli.py",
		"app/pyapp/__pycache__/cli.cpython-311.pyc", "bin/pyapp"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("the package has no %s", f)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "lib/python3/flavor-resolved.txt")); string(b) != "tinytable==1.2.0\n" {
		t.Errorf("resolved dependencies %q, want tinytable==1.2.0", b)
	}
	filepath.WalkDir(out, func(p string, de os.DirEntry, err error) error {
		if err == nil && de.Type().IsRegular() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("/luetbuild")) {
				t.Errorf("%s names the build directory", p)
			}
		}
		return nil
	})

	// Here, with nothing of the host on PATH, both platforms (arm64 under qemu); exit codes.
	for plat, p := range psps {
		stdout, stderr, code := runPSP(t, p, t.TempDir())
		if code != 0 || stdout != pyappWant {
			t.Fatalf("%s on the host: exit %d, stdout %q, stderr %q", plat, code, stdout, stderr)
		}
		if _, stderr, code := runPSP(t, p, t.TempDir(), "--exit", "7"); code != 7 {
			t.Fatalf("%s --exit 7: exit %d, stderr %q", plat, code, stderr)
		}
	}

	// In busybox-static containers: no Python, no loader, no libc, no libsqlite3 anywhere; the
	// second run writes nothing into the workenv (no bytecode, no caches).
	for _, c := range []struct{ plat, psp, tag string }{
		{"linux/amd64", psps["linux/amd64"], bbAmd64}, {"linux/arm64", psps["linux/arm64"], bbArm64},
	} {
		script := `n=$(find / -xdev \( -name 'python3*' -o -name 'ld-linux*' -o -name 'libc.so*' -o -name 'libsqlite3*' \) 2>/dev/null | wc -l); echo "found: $n"; ` +
			`/pkg/app.psp && touch /tmp/mark && sleep 1 && /pkg/app.psp >/dev/null && echo "written: $(find /tmp/cache -newer /tmp/mark | wc -l)"`
		cmd := exec.Command("docker", "run", "--rm", "--platform", c.plat, "-e", "FLAVOR_CACHE=/tmp/cache",
			"-v", c.psp+":/pkg/app.psp:ro", c.tag, "sh", "-c", script)
		var cout, cerr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &cout, &cerr
		if err := cmd.Run(); err != nil {
			t.Fatalf("in the %s busybox container: %v\nstdout %s\nstderr %s", c.plat, err, cout.String(), cerr.String())
		}
		if want := "found: 0\n" + pyappWant + "written: 0\n"; cout.String() != want {
			t.Fatalf("in the %s busybox container:\n%s\nwant:\n%s\nstderr %s", c.plat, cout.String(), want, cerr.String())
		}
	}

	// A second `pack --locked`, from an empty cache (every build again), gives the same bytes.
	rr := runBundleFlavor(t, dir, t.TempDir(), append(args, "-o", "dist-b")...).must(t, "packing --locked from an empty cache")
	again := rr.report(t).psps()
	if rr.report(t).Install.Containers == 0 || len(again) != 2 {
		t.Fatalf("the clean --locked pack started %d containers and wrote %v", rr.report(t).Install.Containers, again)
	}
	for plat, p := range again {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if a, b := fileSum(t, psps[plat]), fileSum(t, p); a != b {
			t.Errorf("%s: --locked packs from the lock's builds and from an empty cache differ: %s vs %s", plat, a, b)
		}
	}

	// Editing one app file: the app is built again, the runtime comes from the cache with its
	// cache key unchanged.
	cli := filepath.Join(dir, "src", "pyapp", "cli.py")
	src, err := os.ReadFile(cli)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cli, bytes.Replace(src, []byte(`["word", "count"]`), []byte(`["term", "count"]`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	before := lockKeys(lock)
	edit := append([]string{"pack", "--manifest", "pyproject.toml", "--output-format", "json"}, launcherArgs(t)...)
	re := runBundleFlavor(t, dir, cache, append(edit, "-o", "dist-edit")...).must(t, "packing the edited app")
	for key, src := range re.report(t).sources() {
		want := "built"
		if strings.HasPrefix(key, "python/runtime@") {
			want = "cached"
		}
		if src != want {
			t.Errorf("after the edit %s was %s, want %s", key, src, want)
		}
	}
	after := lockKeys(readLock(t, dir))
	for _, sys := range []string{"linux/amd64", "linux/arm64"} {
		if before["python-runtime "+sys] != after["python-runtime "+sys] {
			t.Errorf("%s: the runtime's cache key changed with an app file", sys)
		}
		if before["python-app "+sys] == after["python-app "+sys] {
			t.Errorf("%s: the app's cache key did not change with its file", sys)
		}
	}
	edited := filepath.Join(dir, "dist-edit", "pyapp-1.0.0-linux-amd64.psp")
	if stdout, stderr, code := runPSP(t, edited, t.TempDir()); code != 0 || stdout != strings.Replace(pyappWant, "word ", "term ", 1) {
		t.Fatalf("the edited app: exit %d, %q %q", code, stdout, stderr)
	}
}

// TestPythonFlavorPackShapes: the pyproject.toml shapes FlavorPack's documentation shows pack
// with only the build image added: "Quick Start" (Creating Packages; its flask/requests
// dependencies left out, as there is no package index here) and "CLI Tool with Minimal Size"
// (Configuration: [tool.flavor.package], pip_args, command = "python {workenv}/bin/tool",
// shell = false, a venv/ slot entry with xz and lifecycle "cached").
func TestPythonFlavorPackShapes(t *testing.T) {
	dockerEngine(t)
	tests := []struct {
		name, pyproject, module, want string
		check                         func(t *testing.T, psp string)
	}{
		{"quick start", `[project]
name = "myapp"
version = "1.0.0"
dependencies = [
]

[tool.flavor]
entry_point = "myapp:main"
python_version = "3.11"

[tool.flavor.python]
image = "` + pythonImage + `"
`, "src/myapp/__init__.py", "Hello from FlavorPack!\n", nil},
		{"cli tool", `[project]
name = "tool"
version = "2.0.0"

[project.scripts]
tool = "tool:main"

[tool.flavor.package]
name = "cli-tool"
version = "2.0.0"

[tool.flavor.python]
version = "3.11"
install_deps = true
pip_args = ["--no-cache-dir"]
image = "` + pythonImage + `"

[tool.flavor.execution]
command = "python {workenv}/bin/tool"
shell = false

[[tool.flavor.slots.entries]]
name = "runtime"
source = "venv/"
operations = ["tar", "xz"]  # Maximum compression
lifecycle = "cached"
`, "src/tool/__init__.py", "Hello from FlavorPack!\n", func(t *testing.T, psp string) {
			cmd := exec.Command(flavorBin(t), "inspect", "--json", psp)
			b, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			var info struct {
				Slots []struct {
					ID         string `json:"id"`
					Operations string `json:"operations"`
					Lifecycle  string `json:"lifecycle"`
				} `json:"slots"`
			}
			if err := json.Unmarshal(b, &info); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			found := false
			for _, s := range info.Slots {
				if s.ID == "runtime" {
					found = true
					if s.Operations != "tar.xz" || s.Lifecycle != "cache" {
						t.Errorf("runtime slot: operations %q, lifecycle %q; want tar.xz and cache (the venv/ entry)", s.Operations, s.Lifecycle)
					}
				}
			}
			if !found {
				t.Errorf("no runtime slot in %s", b)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"pyproject.toml": tt.pyproject,
				tt.module:        "def main():\n    print(\"Hello from FlavorPack!\")\n",
			})
			args := append([]string{"pack", "--manifest", "pyproject.toml", "--output-format", "json",
				"--platform", "linux/amd64", "--key-seed", "shapes"}, launcherArgs(t)...)
			r := runBundleFlavor(t, dir, t.TempDir(), args...).must(t, "packing the "+tt.name+" shape")
			psp := r.report(t).psps()["linux/amd64"]
			if !filepath.IsAbs(psp) {
				psp = filepath.Join(dir, psp)
			}
			if stdout, stderr, code := runPSP(t, psp, t.TempDir()); code != 0 || stdout != tt.want {
				t.Fatalf("exit %d, stdout %q (want %q), stderr %q", code, stdout, tt.want, stderr)
			}
			if tt.check != nil {
				tt.check(t, psp)
			}
		})
	}
}

// TestPyappBadInput: each mistake is an error naming the key or the package, before or at the
// failing build, and nothing is written (no .psp, no flavor.lock).
func TestPyappBadInput(t *testing.T) {
	dockerEngine(t)
	cache := t.TempDir() // shared: the cases that build reuse one runtime
	tests := []struct {
		name  string
		edit  func(string) string
		wants []string
	}{
		{"no entry point and no scripts", func(s string) string {
			s = strings.Replace(s, "[project.scripts]\npyapp = \"pyapp.cli:main\"\n", "", 1)
			return strings.Replace(s, "entry_point = \"pyapp.cli:main\"\n", "python_version = \"3.11\"\n", 1)
		}, []string{"pyproject.toml:", "tool.flavor: a Python application needs entry_point"}},
		{"unknown key", func(s string) string {
			return strings.Replace(s, "install_deps = true", "install_dep = true", 1)
		}, []string{`unknown key "install_dep" in [tool.flavor.python]; did you mean "install_deps"?`}},
		{"entry point does not import", func(s string) string {
			return strings.Replace(s, "entry_point = \"pyapp.cli:main\"", "entry_point = \"pyapp.client:main\"", 1)
		}, []string{`entry point 'pyapp.client:main' does not import: ModuleNotFoundError: No module named 'pyapp.client'`, "python/pyapp"}},
		{"dependency pip cannot find", func(s string) string {
			return strings.Replace(s, `dependencies = ["tinytable>=1.0,<2"]`, `dependencies = ["tinytable>=1.0,<2", "nosuchdep>=1"]`, 1)
		}, []string{"No matching distribution found for nosuchdep>=1", "pip install failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := pyappDir(t)
			p := filepath.Join(dir, "pyproject.toml")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			edited := tt.edit(string(b))
			if edited == string(b) {
				t.Fatal("the edit changed nothing")
			}
			writeFiles(t, dir, map[string]string{"pyproject.toml": edited})
			args := append([]string{"pack", "--manifest", "pyproject.toml", "--platform", "linux/amd64", "-o", "dist"}, launcherArgs(t)...)
			r := runBundleFlavor(t, dir, cache, args...)
			if r.code == 0 {
				t.Fatalf("packed:\n%s", r.stdout)
			}
			for _, w := range tt.wants {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if hasPSP(filepath.Join(dir, "dist")) {
				t.Errorf("a package was written: %v", listDir(filepath.Join(dir, "dist")))
			}
			if _, err := os.Stat(filepath.Join(dir, "flavor.lock")); err == nil {
				t.Error("flavor.lock was written")
			}
		})
	}
}
