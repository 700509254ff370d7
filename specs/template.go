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
)

// includeLimit is how deeply `include` may nest, as in Luet and Helm.
const includeLimit = 1000

// templateData is what build.yaml and finalize.yaml templates see.
type templateData struct {
	Values   map[string]any
	Flavor   map[string]bool
	Platform Platform
	Package  PackageInfo
}

// PackageInfo is .Package in templates.
type PackageInfo struct {
	Name, Category, Version string
}

// templateFile is one shared template (templates/**/*.yaml).
type templateFile struct {
	path string
	text string
}

// renderer parses the shared templates once; each build.yaml or finalize.yaml is parsed into a
// copy of that set, so `define` blocks from templates/ are visible to it, as when Luet
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

func newRenderer(files []templateFile) (*renderer, error) {
	r := &renderer{funcs: baseFuncs()}
	r.shared = template.New("").Funcs(r.funcs).Option("missingkey=zero")
	for _, f := range files {
		t, err := r.shared.New(f.path).Parse(f.text)
		if err != nil {
			return nil, specErr(f.path, templateLine(err), nil, "%s", cleanTemplateError(err))
		}
		if !blankRoot(t.Tree) {
			r.roots = append(r.roots, f.path)
		}
	}
	return r, nil
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

// compiled is one parsed build.yaml or finalize.yaml. Executions of one compiled template must
// not run concurrently (the include depth counter is per template).
type compiled struct {
	t     *template.Template
	roots []string
	depth int
	// tooDeep is set when include nests past includeLimit; the includes then return nothing so
	// the execution unwinds cheaply, and execute reports it.
	tooDeep error
}

func (r *renderer) parse(name, text string) (*compiled, error) {
	t, err := r.shared.Clone()
	if err != nil {
		return nil, fmt.Errorf("copying shared templates: %w", err)
	}
	c := &compiled{roots: r.roots}
	t.Funcs(template.FuncMap{"include": func(name string, data any) (string, error) {
		if c.tooDeep != nil {
			return "", nil
		}
		if c.depth >= includeLimit {
			c.tooDeep = fmt.Errorf("include %q: more than %d nested includes", name, includeLimit)
			return "", nil
		}
		c.depth++
		defer func() { c.depth-- }()
		var b strings.Builder
		if err := c.t.ExecuteTemplate(&b, name, data); err != nil {
			return "", err
		}
		return b.String(), nil
	}})
	c.t, err = t.New(name).Parse(text)
	if err != nil {
		return nil, specErr(name, templateLine(err), nil, "%s", cleanTemplateError(err))
	}
	return c, nil
}

// execute renders the template; prefixLines is how many lines the shared templates' own text
// added at the top.
func (c *compiled) execute(data *templateData) (out []byte, prefixLines int, err error) {
	var b bytes.Buffer
	c.tooDeep = nil
	defer func() {
		if err == nil && c.tooDeep != nil {
			err = specErr(c.t.Name(), 0, nil, "%v", c.tooDeep)
		}
	}()
	for _, root := range c.roots {
		if err := c.t.ExecuteTemplate(&b, root, data); err != nil {
			return nil, 0, specErr(root, templateLine(err), nil, "%s", cleanTemplateError(err))
		}
	}
	prefixLines = bytes.Count(b.Bytes(), []byte("\n"))
	if err := c.t.Execute(&b, data); err != nil {
		return nil, 0, specErr(c.t.Name(), templateLine(err), nil, "%s", cleanTemplateError(err))
	}
	return b.Bytes(), prefixLines, nil
}

// templateLine digs the line out of a text/template error ("template: NAME:LINE:COL: …").
func templateLine(err error) int {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template: ")
	// NAME may hold ':' only in odd paths; the line follows the last ".yaml:".
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
	i := strings.LastIndex(msg, ".yaml:")
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
