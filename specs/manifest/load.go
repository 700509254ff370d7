package manifest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/BurntSushi/toml"
)

// Option configures Load and Parse.
type Option func(*options) error

type options struct {
	logger    *slog.Logger
	pyproject *bool
}

// WithLogger sets the logger for debug messages; the default discards them.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithPyproject says whether the data is a pyproject.toml (the manifest under [tool.flavor],
// defaults from [project]) or a flavor.toml (the manifest at top level). Without it, a file
// named pyproject.toml is read as one and anything else as a flavor.toml.
func WithPyproject(yes bool) Option {
	return func(o *options) error {
		o.pyproject = &yes
		return nil
	}
}

// Load reads and decodes the manifest at path. See Parse.
func Load(ctx context.Context, path string, opts ...Option) (*Manifest, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	return Parse(path, data, opts...)
}

// Parse decodes a manifest. name is its path, used in messages, to tell pyproject.toml from
// flavor.toml, and to resolve relative paths (Manifest.Abs). Errors about the content wrap
// ErrInvalid; several are joined, ordered by line.
func Parse(name string, data []byte, opts ...Option) (*Manifest, error) {
	o := options{logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("decoding manifest %s: %w", name, err)
		}
	}
	pyproject := filepath.Base(name) == "pyproject.toml"
	if o.pyproject != nil {
		pyproject = *o.pyproject
	}
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{File: name, Line: pe.Position.Line, Msg: "invalid TOML: " + pe.Message}
		}
		return nil, &Error{File: name, Msg: "invalid TOML: " + err.Error()}
	}
	d := &decoder{file: name, lines: scanKeyLines(string(data))}
	m := &Manifest{file: name}
	if pyproject {
		d.decodePyproject(m, doc)
	} else {
		d.decodeManifest(m, d.root(nil, doc), Package{})
	}
	if err := joinErrors(d.problems()); err != nil {
		return nil, err
	}
	digest, err := digestOf(m)
	if err != nil {
		return nil, &Error{File: name, Key: "metadata", Msg: err.Error()}
	}
	m.digest = digest
	o.logger.Debug("decoded manifest", "file", name, "package", m.pkg.Name, "install", len(m.install), "slots", len(m.slots), "digest", digest)
	return m, nil
}

// decodePyproject reads [tool.flavor], with [project] name, version and description as defaults.
// Other tables of a pyproject.toml belong to other tools and are left alone.
func (d *decoder) decodePyproject(m *Manifest, doc map[string]any) {
	top := d.root(nil, doc)
	var defaults Package
	if project := top.sub("project"); project != nil {
		defaults.Name, _ = project.str("name")
		defaults.Version, _ = project.str("version")
		defaults.Description, _ = project.str("description")
	}
	tool := top.sub("tool")
	var root *table
	if tool != nil {
		root = tool.sub("flavor")
	}
	if root == nil {
		d.add(&Error{File: d.file, Msg: "no [tool.flavor] table; the manifest goes there in a pyproject.toml"})
		return
	}
	if isPythonApp(root) {
		d.python = true
		m.python = decodePython(root, top.sub("project"))
	}
	d.decodeManifest(m, root, defaults)
}

// topKeys are the keys a manifest may have at its top level.
var topKeys = []string{"schema-version", "package", "options", "install", "vars", "hook", "execution", "slots", "signing", "metadata"}

func (d *decoder) decodeManifest(m *Manifest, t *table, defaults Package) {
	if d.python {
		t.known(append(slices.Clone(topKeys), pythonKeys...)...)
	} else {
		t.known(topKeys...)
	}
	m.schema = SchemaVersion
	if v, ok := t.str("schema-version"); ok {
		if v != SchemaVersion {
			t.errorf("schema-version", "unsupported schema-version %q; this flavor reads %q", v, SchemaVersion)
		}
	}
	m.pkg = decodePackage(t, defaults)
	m.options = decodeOptions(t)
	m.install = decodeInstall(t, m.options)
	m.vars = decodeVars(t)
	if h := t.sub("hook"); h != nil {
		h.known("on-activate")
		m.hook.OnActivate, _ = h.str("on-activate")
	}
	m.exec = decodeExecution(t, d.python)
	m.slots = decodeSlots(t)
	m.signing = decodeSigning(t)
	if md := t.sub("metadata"); md != nil {
		m.metadata = md.m
	}
}

func decodePackage(t *table, defaults Package) Package {
	p := defaults
	pt := t.sub("package")
	if pt != nil {
		pt.known("name", "version", "description")
		if v, ok := pt.str("name"); ok {
			p.Name = v
		}
		if v, ok := pt.str("version"); ok {
			p.Version = v
		}
		if v, ok := pt.str("description"); ok {
			p.Description = v
		}
	} else {
		pt = &table{d: t.d, path: append(append([]string(nil), t.path...), "package"), idx: -1, label: t.keyLabel("package")}
	}
	switch {
	case p.Name == "":
		pt.missingf("name", "required: the package name, used in the .psp file name")
	case !validName(p.Name):
		pt.errorf("name", "%q: use letters, digits and . _ + - (starting with a letter or digit)", p.Name)
	}
	switch {
	case p.Version == "":
		pt.missingf("version", "required: the package version, used in the .psp file name")
	case !validName(p.Version):
		pt.errorf("version", "%q: use letters, digits and . _ + - (starting with a letter or digit)", p.Version)
	}
	return p
}

// validName reports whether s is a name usable in a file name: [A-Za-z0-9][A-Za-z0-9._+-]*.
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '+' && c != '-') {
			return false
		}
	}
	return s != ""
}

// validID reports whether s is usable as an install id or slot id: [A-Za-z0-9_][A-Za-z0-9._-]*.
func validID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' ||
			i > 0 && (c == '.' || c == '-')
		if !ok {
			return false
		}
	}
	return s != ""
}

func sortInstall(in []Install) {
	sort.Slice(in, func(i, j int) bool { return in[i].ID < in[j].ID })
}
