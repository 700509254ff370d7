package pyproject

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/flavor-dev/flavor/specs/manifest"
)

//go:embed build.py
var buildScript []byte

// Install ids and pkg-groups of the generated packages.
const (
	RuntimeID    = "python-runtime"
	AppID        = "python-app"
	RuntimeGroup = "runtime"
	AppGroup     = "app"
	// RuntimeName is the runtime package's name (category python): one name for every project,
	// so projects with the same image, Python version and dependencies share its build.
	RuntimeName = "runtime"
)

// ErrNotPython: the manifest is not a Python application (manifest.Manifest.Python is nil).
var ErrNotPython = errors.New("not a Python application")

// Prepare writes the spec tree of m's Python application under dir (which must be empty or
// absent) and returns m with the tree, its two install entries, the command and the runtime
// slot's settings added. Local find_links directories that do not exist are errors naming the
// key, before anything is built.
func Prepare(ctx context.Context, m *manifest.Manifest, dir string, opts ...Option) (*manifest.Manifest, error) {
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("preparing %s: %w", m.File(), err)
		}
	}
	p := m.Python()
	if p == nil {
		return nil, fmt.Errorf("preparing %s: %w", m.File(), ErrNotPython)
	}
	links, err := localLinks(m, p)
	if err != nil {
		return nil, err
	}
	runtimeDir := filepath.Join(dir, "python", RuntimeName)
	appDir := filepath.Join(dir, "python", appName(p))
	// The runtime's settings say nothing of the app, so the runtime's cache key follows the image,
	// the Python version, the dependencies and where pip finds them, and nothing else.
	rs := settings{
		PythonVersion: p.Version, Image: p.Image, InstallDeps: p.InstallDeps, Dependencies: p.Dependencies,
		PipArgs: p.PipArgs, IndexURL: p.IndexURL, FindLinks: []string{},
	}
	for i, l := range links {
		if l.local != "" {
			rs.FindLinks = append(rs.FindLinks, fmt.Sprintf("links/%d", i))
		} else {
			rs.FindLinks = append(rs.FindLinks, l.url)
		}
	}
	if rs.Dependencies == nil {
		rs.Dependencies = []string{}
	}
	if rs.PipArgs == nil {
		rs.PipArgs = []string{}
	}
	as := rs
	as.EntryPoint, as.CommandScript, as.Scripts = p.EntryPoint, p.Script, p.Scripts
	version := p.Version
	if version == "" {
		version = "3"
	}
	pkgs := []struct {
		dir, name, version, role, desc string
		settings                       settings
	}{
		{runtimeDir, RuntimeName, version, "runtime", "a Python runtime: interpreter, standard library, dependencies", rs},
		{appDir, appName(p), m.Package().Version, "app", p.Project + " installed with pip", as},
	}
	for _, pk := range pkgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := writePackage(pk.dir, pk.name, pk.version, pk.role, pk.desc, p.Image, pk.settings); err != nil {
			return nil, fmt.Errorf("writing the %s package of %s: %w", pk.role, m.File(), err)
		}
		for i, l := range links {
			if l.local == "" {
				continue
			}
			if err := copyTree(ctx, l.local, filepath.Join(pk.dir, "links", fmt.Sprint(i)), nil); err != nil {
				return nil, fmt.Errorf("copying find_links %q: %w", l.written, err)
			}
		}
	}
	skip := append(append([]string{m.Abs("dist")}, localDirs(links)...), o.exclude...)
	if err := copyTree(ctx, m.Dir(), filepath.Join(appDir, "src"), skip); err != nil {
		return nil, fmt.Errorf("copying the project %s: %w", m.Dir(), err)
	}
	return m.WithGenerated(generated(m, p, dir))
}

// Option configures Prepare.
type Option func(*options) error

type options struct {
	exclude []string
}

// WithExclude leaves these absolute paths out of the project's copy, e.g. the pack's output
// directory when it lies inside the project (dist/ beside the manifest always is left out).
func WithExclude(paths ...string) Option {
	return func(o *options) error {
		for _, p := range paths {
			if !filepath.IsAbs(p) {
				return fmt.Errorf("WithExclude: %q is not an absolute path", p)
			}
			o.exclude = append(o.exclude, filepath.Clean(p))
		}
		return nil
	}
}

// settings is build.py's settings.json.
type settings struct {
	PythonVersion string            `json:"python_version"`
	Image         string            `json:"image"`
	InstallDeps   bool              `json:"install_deps"`
	Dependencies  []string          `json:"dependencies"`
	PipArgs       []string          `json:"pip_args"`
	IndexURL      string            `json:"index_url"`
	FindLinks     []string          `json:"find_links"`
	EntryPoint    string            `json:"entry_point,omitempty"`
	CommandScript string            `json:"command_script,omitempty"`
	Scripts       map[string]string `json:"scripts,omitempty"`
}

type link struct {
	written string // as in the manifest
	local   string // absolute directory, or "" for a URL
	url     string
}

var urlRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://`)

func localLinks(m *manifest.Manifest, p *manifest.Python) ([]link, error) {
	var out []link
	for _, l := range p.FindLinks {
		if urlRE.MatchString(l) {
			out = append(out, link{written: l, url: l})
			continue
		}
		abs := m.Abs(l)
		st, err := os.Stat(abs)
		if err != nil || !st.IsDir() {
			return nil, &manifest.Error{File: m.File(), Key: "tool.flavor.python.find_links",
				Msg: fmt.Sprintf("%q is not a directory beside %s: give a directory of wheels or sdists (or a URL)", l, filepath.Base(m.File()))}
		}
		out = append(out, link{written: l, local: abs})
	}
	return out, nil
}

func localDirs(links []link) []string {
	var out []string
	for _, l := range links {
		if l.local != "" {
			out = append(out, l.local)
		}
	}
	return out
}

// appName is the app package's name: the project's, unless that is the runtime's.
func appName(p *manifest.Python) string {
	if n := packageName(p.Project); n != RuntimeName {
		return n
	}
	return RuntimeName + "-app"
}

// packageName makes a spec-tree package name of a project name (PEP 503 normalised).
func packageName(project string) string {
	n := strings.ToLower(regexp.MustCompile(`[-_.]+`).ReplaceAllString(project, "-"))
	if n == "" {
		n = "app"
	}
	return n
}

func writePackage(dir, name, version, role, desc, image string, s settings) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	def := fmt.Sprintf("# generated by flavor from pyproject.toml\nname: %s\ncategory: python\nversion: %s\ndescription: %s\n",
		yamlString(name), yamlString(version), yamlString(desc))
	// The step runs build.py with the image's Python of the asked version, else its python3.
	want := "python3"
	if s.PythonVersion != "" {
		want = "python" + s.PythonVersion + " python3"
	}
	step := fmt.Sprintf(`for p in %s; do if command -v "$p" >/dev/null 2>&1; then exec "$p" build.py %s; fi; done; echo "flavor-python: error: the image %s has no python3" >&2; exit 1`, want, role, image)
	build := fmt.Sprintf("# generated by flavor from pyproject.toml: build.py writes the %s tree to /out\nimage: %s\npackage_dir: /out\nsteps:\n- %s\n",
		role, yamlString(image), yamlString(step))
	if strings.Contains(build, "{{") {
		// build.yaml is a template: an image name cannot carry template actions
		return fmt.Errorf("image %q: \"{{\" has no place in an image reference", image)
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	files := map[string][]byte{
		"definition.yaml": []byte(def), "build.yaml": []byte(build),
		"settings.json": js.Bytes(), "build.py": buildScript,
	}
	for _, n := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(filepath.Join(dir, n), files[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// yamlString quotes s as a YAML (and JSON) string.
func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// skipNames are what a project directory holds that is not the project: hidden files and
// directories (version control, caches, .venv), virtual environments, build outputs and
// flavor's own files.
var skipNames = []string{"__pycache__", "venv", "node_modules", "build", "dist", "flavor.lock"}

func skipName(n string) bool {
	return strings.HasPrefix(n, ".") || slices.Contains(skipNames, n) || strings.HasSuffix(n, ".egg-info") ||
		strings.HasSuffix(n, ".pyc") || strings.HasSuffix(n, ".psp")
}

// copyTree copies regular files, directories and links of src to dst, leaving out skipNames and
// the absolute paths in skip.
func copyTree(ctx context.Context, src, dst string, skip []string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel != "." && (skipName(d.Name()) || slices.Contains(skip, p)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			to, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(to, target)
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
		return nil // sockets, fifos and devices are no part of a project
	})
}
