package pyproject

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/specs/manifest"
)

const project = `[project]
name = "My_App"
version = "1.2.0"
dependencies = ["tinytable>=1"]

[project.scripts]
my-app = "my_app.cli:main"

[tool.flavor.python]
version = "3.11"
image = "127.0.0.1:5000/debian:bookworm-python"
find_links = ["wheels"]
pip_args = ["--no-index"]

[tool.flavor.execution.runtime.env]
set = { APP_MODE = "production" }

[[tool.flavor.slots.entries]]
name = "python-runtime"
source = "venv/"
operations = ["tar", "xz"]
lifecycle = "cached"
`

// writeProject makes a project directory: pyproject.toml, the app, a wheel directory and what a
// project directory also holds that is not the project (a cache, a venv, dist/).
func writeProject(t *testing.T, doc string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"pyproject.toml":                      doc,
		"src/my_app/__init__.py":              "",
		"src/my_app/cli.py":                   "def main():\n    return 0\n",
		"src/my_app/__pycache__/cli.pyc":      "stale",
		"wheels/tinytable-1-py3-none-any.whl": "wheel",
		".venv/bin/python":                    "x",
		"dist/old.psp":                        "x",
		"flavor.lock":                         "{}",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func prepare(t *testing.T, dir string) (*manifest.Manifest, string) {
	t.Helper()
	m, err := manifest.Load(context.Background(), filepath.Join(dir, "pyproject.toml"))
	if err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(t.TempDir(), "tree")
	out, err := Prepare(context.Background(), m, tree)
	if err != nil {
		t.Fatal(err)
	}
	return out, tree
}

func TestPrepare(t *testing.T) {
	m, tree := prepare(t, writeProject(t, project))
	// The tree: two packages, the project's code only in the app's.
	for _, f := range []string{
		"python/runtime/definition.yaml", "python/runtime/build.yaml", "python/runtime/build.py",
		"python/runtime/settings.json", "python/runtime/links/0/tinytable-1-py3-none-any.whl",
		"python/my-app/build.yaml", "python/my-app/src/src/my_app/cli.py", "python/my-app/src/pyproject.toml",
		"python/my-app/links/0/tinytable-1-py3-none-any.whl",
	} {
		if _, err := os.Stat(filepath.Join(tree, f)); err != nil {
			t.Errorf("the tree lacks %s", f)
		}
	}
	for _, f := range []string{"python/runtime/src", "python/my-app/src/.venv", "python/my-app/src/dist",
		"python/my-app/src/flavor.lock", "python/my-app/src/wheels", "python/my-app/src/src/my_app/__pycache__"} {
		if _, err := os.Stat(filepath.Join(tree, f)); err == nil {
			t.Errorf("the tree has %s", f)
		}
	}
	build, _ := os.ReadFile(filepath.Join(tree, "python/runtime/build.yaml"))
	for _, want := range []string{`image: "127.0.0.1:5000/debian:bookworm-python"`, "package_dir: /out", `python3.11 python3`, "build.py runtime"} {
		if !strings.Contains(string(build), want) {
			t.Errorf("runtime build.yaml lacks %q:\n%s", want, build)
		}
	}
	settings, _ := os.ReadFile(filepath.Join(tree, "python/my-app/settings.json"))
	for _, want := range []string{`"command_script": "my-app"`, `"find_links": [`, `"links/0"`, `"--no-index"`, `"tinytable>=1"`} {
		if !strings.Contains(string(settings), want) {
			t.Errorf("settings.json lacks %q:\n%s", want, settings)
		}
	}
	rs, _ := os.ReadFile(filepath.Join(tree, "python/runtime/settings.json"))
	if strings.Contains(string(rs), "my-app") || strings.Contains(string(rs), "my_app") {
		t.Errorf("the runtime's settings name the app:\n%s", rs)
	}

	// The manifest: two install entries in their own groups, the tree, the command.
	ins := m.Install()
	if len(ins) != 2 || ins[0].ID != AppID || ins[0].PkgPath != "python/my-app" || ins[0].PkgGroup != AppGroup ||
		ins[1].ID != RuntimeID || ins[1].PkgPath != "python/runtime" || ins[1].PkgGroup != RuntimeGroup {
		t.Errorf("install = %+v", ins)
	}
	if tr := m.Options().Trees; len(tr) != 1 || tr[0] != tree {
		t.Errorf("trees = %v, want [%s]", tr, tree)
	}
	e := m.Execution()
	if e.Command != "{workenv}/bin/python3 -s -P {workenv}/bin/my-app" || e.Portable == nil || !*e.Portable {
		t.Errorf("command %q, portable %v", e.Command, e.Portable)
	}
	if e.Env.Set["PYTHONHOME"] != "{workenv}" || e.Env.Set["PYTHONPATH"] != "{workenv}/app" || e.Env.Set["APP_MODE"] != "production" ||
		e.Env.Set["PYTHONDONTWRITEBYTECODE"] != "1" || len(e.Env.Unset) != 1 || e.Env.Unset[0] != "PYTHON*" {
		t.Errorf("env = %+v", e.Env)
	}
	// FlavorPack's venv/ slot entry configures the runtime slot instead of packing a directory.
	if len(m.Slots()) != 0 {
		t.Errorf("slots = %+v, want the venv/ entry taken over", m.Slots())
	}
	if s, ok := m.GroupSlot(RuntimeGroup); !ok || strings.Join(s.Operations, ",") != "tar,xz" || s.Lifecycle != "cache" {
		t.Errorf("runtime slot = %+v", s)
	}
}

// Editing the app changes the app package's directory only: the runtime's cache key (which
// digests its package directory) stays.
func TestAppEditLeavesRuntimeAlone(t *testing.T) {
	dir := writeProject(t, project)
	_, before := prepare(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "src/my_app/cli.py"), []byte("def main():\n    return 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, after := prepare(t, dir)
	if !sameTree(t, filepath.Join(before, "python/runtime"), filepath.Join(after, "python/runtime")) {
		t.Error("the runtime package changed with the app")
	}
	if sameTree(t, filepath.Join(before, "python/my-app"), filepath.Join(after, "python/my-app")) {
		t.Error("the app package did not change with the app")
	}
}

func sameTree(t *testing.T, a, b string) bool {
	t.Helper()
	read := func(root string) map[string]string {
		out := map[string]string{}
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(root, p)
				data, _ := os.ReadFile(p)
				out[rel] = string(data)
			}
			return nil
		})
		return out
	}
	ra, rb := read(a), read(b)
	if len(ra) != len(rb) {
		return false
	}
	for k, v := range ra {
		if rb[k] != v {
			return false
		}
	}
	return true
}

// The pack's output directory inside the project is no part of the app.
func TestPrepareExcludesOutput(t *testing.T) {
	dir := writeProject(t, project)
	m, err := manifest.Load(context.Background(), filepath.Join(dir, "pyproject.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "out", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(t.TempDir(), "tree")
	if _, err := Prepare(context.Background(), m, tree, WithExclude(filepath.Join(dir, "out"))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tree, "python/my-app/src/out")); err == nil {
		t.Error("the output directory was copied into the app")
	}
	if _, err := Prepare(context.Background(), m, t.TempDir(), WithExclude("out")); err == nil {
		t.Error("a relative exclude was accepted")
	}
}

func TestPrepareErrors(t *testing.T) {
	t.Run("missing find_links", func(t *testing.T) {
		dir := writeProject(t, strings.Replace(project, `find_links = ["wheels"]`, `find_links = ["wheelz"]`, 1))
		m, err := manifest.Load(context.Background(), filepath.Join(dir, "pyproject.toml"))
		if err != nil {
			t.Fatal(err)
		}
		tree := filepath.Join(t.TempDir(), "tree")
		_, err = Prepare(context.Background(), m, tree)
		want := `tool.flavor.python.find_links: "wheelz" is not a directory beside pyproject.toml`
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, manifest.ErrInvalid) {
			t.Fatalf("err = %v, want %q", err, want)
		}
		if _, err := os.Stat(tree); err == nil {
			t.Error("the tree was written")
		}
	})
	t.Run("not python", func(t *testing.T) {
		m, err := manifest.Parse("flavor.toml", []byte("[package]\nname = \"a\"\nversion = \"1\"\n[execution]\ncommand = \"x\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Prepare(context.Background(), m, t.TempDir()); !errors.Is(err, ErrNotPython) {
			t.Fatalf("err = %v, want ErrNotPython", err)
		}
	})
}

func TestExecutionCommands(t *testing.T) {
	p := &manifest.Python{Script: "tool"}
	for _, tt := range []struct{ in, want string }{
		{"", "{workenv}/bin/python3 -s -P {workenv}/bin/tool"},
		{"python {workenv}/bin/tool", "{workenv}/bin/python3 -s -P {workenv}/bin/tool"},
		{"python3.11 -m tool --x", "{workenv}/bin/python3 -s -P -m tool --x"},
		{"{workenv}/bin/tool", "{workenv}/bin/tool"},
		{"pythonista", "pythonista"},
	} {
		if got := execution(manifest.Execution{Command: tt.in}, p).Command; got != tt.want {
			t.Errorf("%q -> %q, want %q", tt.in, got, tt.want)
		}
	}
}
