package manifest

import (
	"errors"
	"reflect"
	"testing"
)

// quickStart is the "Quick Start" pyproject.toml of FlavorPack's Creating Packages page (seed
// 001), with the build image named.
const quickStart = `[project]
name = "myapp"
version = "1.0.0"
dependencies = [
    "flask>=2.0",
    "requests>=2.0"
]

[tool.flavor]
entry_point = "myapp:main"
python_version = "3.11"
`

// cliTool is the "CLI Tool with Minimal Size" configuration of FlavorPack's Configuration page
// (seed 000) under a minimal [project], with the build image named.
const cliTool = `[project]
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
image = "registry.example/python:3.11"

[tool.flavor.execution]
command = "python {workenv}/bin/tool"
shell = false

[[tool.flavor.slots.entries]]
name = "runtime"
source = "venv/"
operations = ["tar", "xz"]  # Maximum compression
lifecycle = "cached"
`

func TestPythonApplications(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want Python
		pkg  Package
	}{
		{"quick start", quickStart, Python{
			Project: "myapp", Dependencies: []string{"flask>=2.0", "requests>=2.0"}, Scripts: map[string]string{},
			EntryPoint: "myapp:main", Script: "myapp", Version: "3.11", Image: "docker.io/library/python:3.11-slim-bookworm", InstallDeps: true,
		}, Package{Name: "myapp", Version: "1.0.0"}},
		{"script only", "[project]\nname = \"a\"\nversion = \"1\"\n[project.scripts]\nrun-a = \"a.cli:main\"\n[tool.flavor.python]\nimage = \"img\"\ninstall_deps = false\nfind_links = [\"wheels\"]\nindex_url = \"https://pypi.example/simple\"\n", Python{
			Project: "a", Scripts: map[string]string{"run-a": "a.cli:main"}, Script: "run-a", Image: "img",
			FindLinks: []string{"wheels"}, IndexURL: "https://pypi.example/simple",
		}, Package{Name: "a", Version: "1"}},
		{"entry point is a script", "[project]\nname = \"a\"\nversion = \"1\"\n[project.scripts]\nx = \"a:main\"\ny = \"a:other\"\n[tool.flavor]\nentry_point = \"a:other\"\n", Python{
			Project: "a", Scripts: map[string]string{"x": "a:main", "y": "a:other"}, EntryPoint: "a:other", Script: "y",
			Image: "docker.io/library/python:3-slim-bookworm", InstallDeps: true,
		}, Package{Name: "a", Version: "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse("pyproject.toml", []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Python(); got == nil || !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("Python() = %+v\nwant %+v", got, tt.want)
			}
			if m.Package() != tt.pkg {
				t.Errorf("Package() = %+v, want %+v", m.Package(), tt.pkg)
			}
		})
	}
	t.Run("cli tool", func(t *testing.T) {
		// shell = false is what flavor does; "cached" is read as cache.
		m, err := Parse("pyproject.toml", []byte(cliTool))
		if err != nil {
			t.Fatal(err)
		}
		if s := m.Slots(); len(s) != 1 || s[0].Lifecycle != "cache" || s[0].Source != "venv/" {
			t.Errorf("slots = %+v", s)
		}
		if p := m.Python(); p.Script != "tool" || p.Image != "registry.example/python:3.11" || m.Package().Name != "cli-tool" {
			t.Errorf("python = %+v, package %+v", p, m.Package())
		}
	})
	t.Run("not an application", func(t *testing.T) {
		m, err := Parse("pyproject.toml", []byte("[project]\nname = \"a\"\nversion = \"1\"\n[tool.flavor.execution]\ncommand = \"x\"\n"))
		if err != nil || m.Python() != nil {
			t.Fatalf("Python() = %+v, %v; want nil", m.Python(), err)
		}
	})
}

func TestBadPythonApplications(t *testing.T) {
	const project = "[project]\nname = \"a\"\nversion = \"1\"\n" // lines 1-3
	tests := []struct {
		name, doc, want string
	}{
		{"nothing to run", project + "[tool.flavor]\npython_version = \"3.11\"\n",
			`pyproject.toml:4: tool.flavor: a Python application needs entry_point = "module:function" in [tool.flavor] or a console script in [project.scripts]: nothing says what the package runs`},
		{"several scripts", project + "[project.scripts]\nx = \"a:x\"\ny = \"a:y\"\n[tool.flavor.python]\nversion = \"3.11\"\n",
			`pyproject.toml:7: tool.flavor: [project.scripts] has 2 scripts (x, y) and none is named after the project: set entry_point = "module:function" in [tool.flavor]`},
		{"bad entry point", project + "[tool.flavor]\nentry_point = \"a.main\"\n",
			`pyproject.toml:5: tool.flavor.entry_point: "a.main": want "module:function" (e.g. "myapp.cli:main")`},
		{"unknown python key", project + "[tool.flavor]\nentry_point = \"a:main\"\n[tool.flavor.python]\npip_arg = [\"-q\"]\n",
			`pyproject.toml:7: unknown key "pip_arg" in [tool.flavor.python]; did you mean "pip_args"?`},
		{"unknown project key", "[project]\nname = \"a\"\nversion = \"1\"\ndependancies = []\n[tool.flavor]\nentry_point = \"a:main\"\n",
			`pyproject.toml:4: unknown key "dependancies" in [project]; did you mean "dependencies"?`},
		{"pip user", project + "[tool.flavor]\nentry_point = \"a:main\"\n[tool.flavor.python]\npip_args = [\"--user\"]\n",
			`pyproject.toml:7: tool.flavor.python.pip_args: "--user" cannot apply: the package's site-packages is the only one it reads`},
		{"venv symlinks", project + "[tool.flavor]\nentry_point = \"a:main\"\n[tool.flavor.python.venv]\ncopies = false\n",
			`pyproject.toml:7: tool.flavor.python.venv.copies: false cannot apply: the runtime is always a copy of the image's interpreter (links would point into the build container)`},
		{"system site packages", project + "[tool.flavor]\nentry_point = \"a:main\"\n[tool.flavor.python.venv]\nsystem_site_packages = true\n",
			`pyproject.toml:7: tool.flavor.python.venv.system_site_packages: true cannot apply: the package runs where no system Python exists; it reads only its own site-packages`},
		{"python version", project + "[tool.flavor]\nentry_point = \"a:main\"\npython_version = \"3\"\n",
			`pyproject.toml:6: tool.flavor.python_version: "3": want major.minor, e.g. "3.11"`},
		{"two versions", project + "[tool.flavor]\nentry_point = \"a:main\"\npython_version = \"3.11\"\n[tool.flavor.python]\nversion = \"3.12\"\n",
			`pyproject.toml:8: tool.flavor.python.version: "3.12" differs from python_version "3.11"; give one`},
		{"no project", "[tool.flavor]\nentry_point = \"a:main\"\n[tool.flavor.package]\nname = \"a\"\nversion = \"1\"\n",
			`pyproject.toml:1: tool.flavor: a Python application needs a [project] table (PEP 621) with name and version: pip installs the project from it`},
		{"dynamic version", "[project]\nname = \"a\"\ndynamic = [\"version\"]\n[tool.flavor]\nentry_point = \"a:main\"\n",
			"pyproject.toml:3: project.dynamic: a dynamic version cannot name the .psp before the build; write [project] version\n" +
				"pyproject.toml:4: tool.flavor.package.version: required: the package version, used in the .psp file name"},
		{"shell", project + "[tool.flavor]\nentry_point = \"a:main\"\n[tool.flavor.execution]\nshell = true\n",
			`pyproject.toml:7: tool.flavor.execution.shell: true cannot apply: the command runs directly, never through a shell; make a shell the command (command = "/bin/sh -c …") to get one`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse("pyproject.toml", []byte(tt.doc))
			if err == nil {
				t.Fatalf("decoded %+v", m.Python())
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			if err.Error() != tt.want {
				t.Fatalf("error:\n%s\nwant:\n%s", err, tt.want)
			}
		})
	}
}
