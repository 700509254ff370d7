package specs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"go.yaml.in/yaml/v3"

	"github.com/flavor-dev/flavor/platform"
)

// includeLimit is how deeply `include` may nest, as in Luet and Helm.
const includeLimit = 1000

// templateData is what build.yaml and finalize.yaml templates see.
type templateData struct {
	Values   map[string]any
	Flavor   map[string]bool
	Platform platform.Platform
	Package  packageInfo
}

// root is the value templates execute on: a map, as in luet, so that `index . "key"` on the
// root finds nothing instead of failing (published trees do that in shared templates).
func (d *templateData) root() map[string]any {
	return map[string]any{"Values": d.Values, "Flavor": d.Flavor, "Platform": d.Platform, "Package": d.Package}
}

// packageInfo is .Package in templates.
type packageInfo struct {
	Name, Category, Version string
}

// templateFile is one shared template (templates/**/*.yaml).
type templateFile struct {
	path string
	text string
}

// renderer parses the shared templates once; each build.yaml or finalize.yaml is parsed into a
// namespace holding them, so `define` blocks from templates/ are visible to it, as when Luet
// concatenates the shared files before the spec.
type renderer struct {
	shared *template.Template
	// roots are the shared files whose text outside `define` blocks is not blank: Luet puts
	// that text at the top of every rendered spec, and so do we.
	roots []string
	funcs template.FuncMap
}

func baseFuncs() template.FuncMap {
	f := sprig.TxtFuncMap()
	f["toYaml"] = toYAML
	f["fromYaml"] = fromYAML
	f["fromYamlArray"] = fromYAMLArray
	f["toJson"] = toJSON
	f["fromJson"] = fromJSON
	f["fromJsonArray"] = fromJSONArray
	f["toToml"] = toTOML
	f["include"] = func(string, any) (string, error) { return "", fmt.Errorf("include is not bound") }
	return f
}

// A shared template that does not parse is left out and returned as a problem: the specs
// that use its definitions fail to render, naming them; the others are not concerned.
func newRenderer(files []templateFile) (*renderer, []*SpecError) {
	r := &renderer{funcs: baseFuncs()}
	r.shared = template.New("").Funcs(r.funcs).Option("missingkey=zero")
	var errs []*SpecError
	for _, f := range files {
		// Parse into a scratch set first: a failed Parse may leave definitions behind.
		if _, err := template.New(f.path).Funcs(r.funcs).Parse(f.text); err != nil {
			errs = append(errs, specErr(f.path, templateLine(err), nil, "%s (this shared template is left out)", cleanTemplateError(err)))
			continue
		}
		t, err := r.shared.New(f.path).Parse(f.text)
		if err != nil {
			errs = append(errs, specErr(f.path, templateLine(err), nil, "%s (this shared template is left out)", cleanTemplateError(err)))
			continue
		}
		if !blankRoot(t.Tree) {
			r.roots = append(r.roots, f.path)
		}
	}
	return r, errs
}

// blankRoot reports whether a template's text outside define blocks is only whitespace.
func blankRoot(tr *parse.Tree) bool {
	if tr == nil || tr.Root == nil {
		return true
	}
	for _, n := range tr.Root.Nodes {
		t, ok := n.(*parse.TextNode)
		if !ok || len(bytes.TrimSpace(t.Text)) != 0 {
			return false
		}
	}
	return true
}

// worker renders templates one at a time on its own copy of the shared templates. Copying a
// template set copies its function table (sprig's two hundred functions), so a worker copies
// once and parses each spec into that copy; only a spec with its own `define` blocks gets a
// private copy, so its definitions stay its own.
type worker struct {
	base    *template.Template
	current *template.Template // the namespace of the template being executed
	roots   []string
	depth   int
	// tooDeep is set when include nests past includeLimit; the includes then return nothing so
	// the execution unwinds cheaply, and execute reports it.
	tooDeep error
}

func (r *renderer) worker() (*worker, error) {
	base, err := r.shared.Clone()
	if err != nil {
		return nil, fmt.Errorf("copying shared templates: %w", err)
	}
	w := &worker{base: base, current: base, roots: r.roots}
	base.Funcs(template.FuncMap{"include": w.include})
	return w, nil
}

// include is Luet's and Helm's late-bound include, with a nesting limit.
func (w *worker) include(name string, data any) (string, error) {
	if w.tooDeep != nil {
		return "", nil
	}
	if w.depth >= includeLimit {
		w.tooDeep = fmt.Errorf("include %q: more than %d nested includes", name, includeLimit)
		return "", nil
	}
	w.depth++
	defer func() { w.depth-- }()
	var b strings.Builder
	if err := w.current.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// compiled is one parsed build.yaml or finalize.yaml, executed by its worker.
type compiled struct {
	t  *template.Template
	ns *template.Template
	w  *worker
}

func (w *worker) parse(name, text string) (*compiled, error) {
	ns := w.base
	if strings.Contains(text, "define") || strings.Contains(text, "block") {
		clone, err := w.base.Clone()
		if err != nil {
			return nil, fmt.Errorf("copying shared templates: %w", err)
		}
		ns = clone
	}
	t, err := ns.New(name).Parse(text)
	if err != nil {
		return nil, specErr(name, templateLine(err), nil, "%s", cleanTemplateError(err))
	}
	return &compiled{t: t, ns: ns, w: w}, nil
}

// execute renders the template; prefixLines is how many lines the shared templates' own text
// added at the top.
func (c *compiled) execute(data *templateData) (out []byte, prefixLines int, err error) {
	var b bytes.Buffer
	w := c.w
	w.current, w.depth, w.tooDeep = c.ns, 0, nil
	defer func() {
		if err == nil && w.tooDeep != nil {
			err = specErr(c.t.Name(), 0, nil, "%v", w.tooDeep)
		}
	}()
	for _, root := range w.roots {
		if err := c.ns.ExecuteTemplate(&b, root, data); err != nil {
			return nil, 0, specErr(root, templateLine(err), nil, "%s", cleanTemplateError(err))
		}
	}
	prefixLines = bytes.Count(b.Bytes(), []byte("\n"))
	if err := c.t.Execute(&b, data.root()); err != nil {
		return nil, 0, specErr(c.t.Name(), templateLine(err), nil, "%s", cleanTemplateError(err))
	}
	return b.Bytes(), prefixLines, nil
}

// templateLine digs the line out of a text/template error ("template: NAME:LINE:COL: …").
func templateLine(err error) int {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template: ")
	// The line follows the last ".yaml:": "unclosed action started at NAME:LINE" names the line
	// where the mistake is, not the end of the file.
	i := strings.LastIndex(msg, ".yaml:")
	if i < 0 {
		return 0
	}
	var line int
	fmt.Sscanf(msg[i+len(".yaml:"):], "%d", &line)
	return line
}

// cleanTemplateError drops text/template's "template: NAME:LINE:COL: " prefix, which the
// SpecError already says.
func cleanTemplateError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "template: ")
	i := strings.Index(msg, ".yaml:")
	if i < 0 {
		return msg
	}
	rest := msg[i+len(".yaml:"):]
	// skip "LINE:" or "LINE:COL:"
	for k := 0; k < 2; k++ {
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 0 || j >= len(rest) || rest[j] != ':' {
			break
		}
		rest = rest[j+1:]
	}
	return "template: " + strings.TrimSpace(rest)
}

// toYAML writes v as YAML the way Luet's and Helm's toYaml do: two-space indentation, list items
// level with their key.
func toYAML(v any) string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(v); err != nil {
		return ""
	}
	if err := enc.Close(); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func fromYAML(s string) map[string]any {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(s string) []any {
	var a []any
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}

func toJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(s string) map[string]any {
	m := map[string]any{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []any {
	var a []any
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}

func toTOML(v any) string {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(v); err != nil {
		return err.Error()
	}
	return b.String()
}
