package manifest

import (
	"slices"
	"strings"
)

// Python is a Python application's build, read from a pyproject.toml whose [tool.flavor] has
// FlavorPack's entry_point, python_version or [tool.flavor.python]: the project is installed with
// pip in containers of a Python image, one per system (specs/pyproject makes the spec tree).
type Python struct {
	Project      string            // [project] name: what pip installs
	Dependencies []string          // [project] dependencies, as written (PEP 508)
	Scripts      map[string]string // [project.scripts]: console script name → "module:function"
	EntryPoint   string            // [tool.flavor] entry_point, "module:function"; "" when not given
	Script       string            // the console script the package runs (see CommandScript)
	Version      string            // [tool.flavor.python] version or python_version ("3.11"); "" takes the image's
	Image        string            // [tool.flavor.python] image; DefaultImage(Version) when not given
	InstallDeps  bool              // [tool.flavor.python] install_deps; true when not given
	PipArgs      []string          // [tool.flavor.python] pip_args
	IndexURL     string            // [tool.flavor.python] index_url
	FindLinks    []string          // [tool.flavor.python] find_links: directories (relative to the manifest) or URLs
}

// DefaultImage is the build image for a Python version when [tool.flavor.python] names none:
// the Python project's official slim Debian image of that version.
func DefaultImage(version string) string {
	if version == "" {
		version = "3"
	}
	return "docker.io/library/python:" + version + "-slim-bookworm"
}

// Python returns the Python application's build, or nil when the manifest is not one.
func (m *Manifest) Python() *Python {
	if m.python == nil {
		return nil
	}
	p := *m.python
	p.Dependencies = slices.Clone(p.Dependencies)
	p.PipArgs = slices.Clone(p.PipArgs)
	p.FindLinks = slices.Clone(p.FindLinks)
	p.Scripts = make(map[string]string, len(m.python.Scripts))
	for k, v := range m.python.Scripts {
		p.Scripts[k] = v
	}
	return &p
}

// pythonKeys are the [tool.flavor] keys that make a pyproject.toml a Python application.
var pythonKeys = []string{"entry_point", "python_version", "python"}

// isPythonApp reports whether [tool.flavor] asks for a Python application build.
func isPythonApp(root *table) bool {
	for _, k := range pythonKeys {
		if _, ok := root.m[k]; ok {
			return true
		}
	}
	return false
}

// projectKeys are PEP 621's [project] keys.
var projectKeys = []string{"name", "version", "description", "readme", "requires-python", "license",
	"authors", "maintainers", "keywords", "classifiers", "urls", "dependencies",
	"optional-dependencies", "scripts", "gui-scripts", "entry-points", "dynamic"}

// pipArgsRefused are pip options that would install somewhere the package does not look, or
// keep a link to the build container, with the reason.
var pipArgsRefused = map[string]string{
	"--user":      "the package's site-packages is the only one it reads",
	"--target":    "flavor chooses where the runtime and the app are installed",
	"-t":          "flavor chooses where the runtime and the app are installed",
	"--prefix":    "flavor chooses where the runtime and the app are installed",
	"--root":      "flavor chooses where the runtime and the app are installed",
	"--editable":  "an editable install points into the build container",
	"-e":          "an editable install points into the build container",
	"--src":       "an editable install points into the build container",
	"--cache-dir": "builds run in fresh containers and keep no pip cache",
}

// decodePython reads a Python application's keys: [project] (PEP 621) and FlavorPack's
// entry_point, python_version and [tool.flavor.python]. project may be nil.
func decodePython(root, project *table) *Python {
	p := &Python{InstallDeps: true, Scripts: map[string]string{}}
	if project == nil {
		root.errorf("", "a Python application needs a [project] table (PEP 621) with name and version: pip installs the project from it")
		return p
	}
	project.known(projectKeys...)
	p.Project, _ = project.str("name")
	if p.Project == "" {
		project.missingf("name", "required: the project's name, which pip installs")
	}
	if dyn, ok := project.strs("dynamic"); ok && slices.Contains(dyn, "version") {
		project.errorf("dynamic", "a dynamic version cannot name the .psp before the build; write [project] version")
	}
	p.Dependencies, _ = project.strs("dependencies")
	scripts, _ := project.strMap("scripts")
	for _, k := range sortedKeys(scripts) {
		if !validEntryPoint(scripts[k]) {
			project.errorf("scripts", "%s = %q: want \"module:function\" (e.g. \"myapp.cli:main\")", k, scripts[k])
			continue
		}
		p.Scripts[k] = scripts[k]
	}
	if ep, ok := root.str("entry_point"); ok {
		if !validEntryPoint(ep) {
			root.errorf("entry_point", "%q: want \"module:function\" (e.g. \"myapp.cli:main\")", ep)
		}
		p.EntryPoint = ep
	}
	p.Version, _ = root.str("python_version")
	pt := root.sub("python")
	if pt != nil {
		pt.known("version", "image", "install_deps", "pip_args", "index_url", "find_links", "venv")
		if v, ok := pt.str("version"); ok {
			if p.Version != "" && v != p.Version {
				pt.errorf("version", "%q differs from python_version %q; give one", v, p.Version)
			}
			p.Version = v
		}
		p.Image, _ = pt.str("image")
		if b, ok := pt.boolean("install_deps"); ok {
			p.InstallDeps = b
		}
		p.PipArgs, _ = pt.strs("pip_args")
		for _, a := range p.PipArgs {
			name, _, _ := strings.Cut(a, "=")
			if why, bad := pipArgsRefused[name]; bad {
				pt.errorf("pip_args", "%q cannot apply: %s", a, why)
			}
		}
		p.IndexURL, _ = pt.str("index_url")
		p.FindLinks = decodePaths(pt, "find_links")
		if vt := pt.sub("venv"); vt != nil {
			decodeVenv(vt)
		}
	}
	if p.Version != "" && !validPythonVersion(p.Version) {
		key, t := "python_version", root
		if pt != nil {
			if _, ok := pt.m["version"]; ok {
				key, t = "version", pt
			}
		}
		t.errorf(key, "%q: want major.minor, e.g. \"3.11\"", p.Version)
	}
	if p.Image == "" {
		p.Image = DefaultImage(p.Version)
	}
	p.Script = commandScript(root, p)
	return p
}

// decodeVenv checks FlavorPack's [tool.flavor.python.venv]: there is no virtual environment in
// a flavor package (the runtime is a copy of the image's interpreter and standard library with
// the dependencies beside it), so only the values that describe what flavor does anyway are
// accepted; the others are errors saying why.
func decodeVenv(t *table) {
	t.known("copies", "system_site_packages", "clear")
	if b, ok := t.boolean("copies"); ok && !b {
		t.errorf("copies", "false cannot apply: the runtime is always a copy of the image's interpreter (links would point into the build container)")
	}
	if b, ok := t.boolean("system_site_packages"); ok && b {
		t.errorf("system_site_packages", "true cannot apply: the package runs where no system Python exists; it reads only its own site-packages")
	}
	if b, ok := t.boolean("clear"); ok && !b {
		t.errorf("clear", "false cannot apply: every build starts from a clean container")
	}
}

// commandScript picks the console script the package runs: the one whose target is entry_point
// (named after the project when none is), else the only [project.scripts] entry, else the one
// named after the project. Neither entry_point nor a script is an error.
func commandScript(root *table, p *Python) string {
	if p.EntryPoint != "" {
		for _, name := range sortedKeys(p.Scripts) {
			if p.Scripts[name] == p.EntryPoint {
				return name
			}
		}
		name := p.Project
		if _, clash := p.Scripts[name]; clash || name == "" {
			name += "-main"
		}
		return name
	}
	switch {
	case len(p.Scripts) == 1:
		return sortedKeys(p.Scripts)[0]
	case len(p.Scripts) == 0:
		root.errorf("", "a Python application needs entry_point = \"module:function\" in [tool.flavor] or a console script in [project.scripts]: nothing says what the package runs")
	default:
		if _, ok := p.Scripts[p.Project]; ok {
			return p.Project
		}
		root.errorf("", "[project.scripts] has %d scripts (%s) and none is named after the project: set entry_point = \"module:function\" in [tool.flavor]", len(p.Scripts), strings.Join(sortedKeys(p.Scripts), ", "))
	}
	return ""
}

func validEntryPoint(s string) bool {
	mod, fn, ok := strings.Cut(s, ":")
	return ok && dotted(strings.TrimSpace(mod)) && dotted(strings.TrimSpace(fn))
}

// dotted reports whether s is a dotted Python name ("a.b_c").
func dotted(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for i, c := range part {
			ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
			if !ok {
				return false
			}
		}
	}
	return true
}

func validPythonVersion(v string) bool {
	major, minor, ok := strings.Cut(v, ".")
	return ok && major == "3" && minor != "" && strings.Trim(minor, "0123456789") == ""
}
