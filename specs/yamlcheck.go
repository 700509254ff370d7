package specs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/flavor-dev/flavor/specs/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// yamlDoc parses data as one YAML document and returns its root node (nil for an empty file).
func yamlDoc(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlSyntaxError(file, data, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	return root, nil
}

// yamlSyntaxError turns yaml.v3's "yaml: line 3: …" into a SpecError with the line. A tab in
// the line's indentation, which YAML forbids and yaml.v3 reports only as a character "that cannot
// start any token", is named with its column and the fix.
func yamlSyntaxError(file string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		msg = strings.TrimSpace(msg[strings.IndexByte(msg, ':')+1:])
	}
	tabLine := line
	col := indentTab(data, tabLine)
	if col == 0 && strings.Contains(msg, "tab character") { // yaml.v3 names the line before the tab
		tabLine++
		col = indentTab(data, tabLine)
	}
	if col > 0 {
		return specErr(file, tabLine, nil, "not valid YAML: a tab (column %d) indents line %d; YAML indents with spaces only: replace the tab with spaces (%s)", col, tabLine, msg)
	}
	return specErr(file, line, nil, "not valid YAML: %s", msg)
}

// indentTab returns the 1-based column of the first tab in the indentation of line n of data (a
// "- " list marker counts as indentation), or 0.
func indentTab(data []byte, n int) int {
	if n < 1 {
		return 0
	}
	lines := bytes.Split(data, []byte("\n"))
	if n > len(lines) {
		return 0
	}
	for i, c := range lines[n-1] {
		switch c {
		case '\t':
			return i + 1
		case ' ', '-':
		default:
			return 0
		}
	}
	return 0
}

// keyHints gives special messages for keys that are known mistakes.
type keyHints map[string]string

// yamlField is one field of a struct as seen by the checker.
type yamlField struct {
	name string
	typ  reflect.Type
}

// structInfo is what checkStruct needs of a struct type, worked out once per type.
type structInfo struct {
	byName map[string]yamlField
	names  []string // sorted, for hints
}

var structInfos sync.Map // reflect.Type → *structInfo

func infoOf(t reflect.Type) *structInfo {
	if v, ok := structInfos.Load(t); ok {
		return v.(*structInfo)
	}
	fields := structFields(t)
	si := &structInfo{byName: make(map[string]yamlField, len(fields))}
	for _, f := range fields {
		si.byName[f.name] = f
		si.names = append(si.names, f.name)
	}
	sort.Strings(si.names)
	structInfos.Store(t, si)
	return si
}

func structFields(t reflect.Type) []yamlField {
	var out []yamlField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && opts == "inline" && f.Type.Kind() == reflect.Struct {
			out = append(out, structFields(f.Type)...) // yaml.v3 decodes its keys at this level
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, yamlField{name: name, typ: f.Type})
	}
	return out
}

// checker validates a YAML node against a Go type before it is decoded: unknown keys (with a
// "did you mean" hint), wrong kinds (a string where a list belongs), unquoted numeric versions,
// each reported with the file and line.
type checker struct {
	file  string
	hints keyHints
	// entry says the checked node is one entry of collection.yaml, not the whole file.
	entry bool
	// strict makes what luet ignores (see warn) an error.
	strict bool
	// warns are the warnings found so far, in the order found.
	warns []*SpecError
	// expanded memoises expand per node, so an anchor used many times is expanded (and
	// reported) once; expanding marks the nodes being expanded, to catch an anchor that
	// contains itself.
	expanded  map[*yaml.Node]*yaml.Node
	expanding map[*yaml.Node]bool
	// lineOffset is subtracted from node lines (text prepended by shared templates).
	lineOffset int
	// rendered notes that line numbers are those of the rendered text.
	rendered bool
}

// warn records something luet ignores silently: a warning, or, when strict, an error.
func (c *checker) warn(n *yaml.Node, format string, args ...any) error {
	err := c.errf(n, format, args...)
	if c.strict {
		se := err.(*SpecError)
		se.Msg += " (an error because loading is strict)"
		return se
	}
	c.warns = append(c.warns, err.(*SpecError))
	return nil
}

func (c *checker) line(n *yaml.Node) int {
	if l := n.Line - c.lineOffset; l > 0 {
		return l
	}
	return 0
}

func (c *checker) errf(n *yaml.Node, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if c.rendered {
		msg += " (line of the rendered template)"
	}
	return specErr(c.file, c.line(n), nil, "%s", msg)
}

// check validates n against t. open allows unknown keys at this level (definition.yaml keys
// that are only template values).
func (c *checker) check(n *yaml.Node, t reflect.Type, path string, open bool) error {
	if err := c.checkKind(n, t, path, open); err != nil {
		return err
	}
	return c.validate(n, t)
}

// validator is implemented by the YAML shapes whose values need checking (regexps, refs,
// platforms); the error is reported at the value's line.
type validator interface{ validate() error }

var validatorType = reflect.TypeOf((*validator)(nil)).Elem()

func (c *checker) validate(n *yaml.Node, t reflect.Type) error {
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !t.Implements(validatorType) {
		return nil
	}
	v := reflect.New(t)
	if err := n.Decode(v.Interface()); err != nil {
		return c.errf(n, "decoding: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := v.Elem().Interface().(validator).validate(); err != nil {
		return c.errf(n, "%v", err)
	}
	if o, ok := v.Elem().Interface().(oddity); ok {
		if msg := o.oddity(); msg != "" {
			return c.warn(n, "%s", msg)
		}
	}
	return nil
}

// oddity is implemented by the YAML shapes holding values luet accepts although they are
// wrong (a '/' in a reference's category); the message is a warning (an error when strict).
type oddity interface{ oddity() string }

func (c *checker) checkKind(n *yaml.Node, t reflect.Type, path string, open bool) error {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		return c.check(n.Alias, t, path, open)
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Interface:
		return nil
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return c.errf(n, "%s must be a mapping, not %s", c.describe(path), kindName(n))
		}
		return c.checkStruct(n, t, path, open)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return c.errf(n, "%s must be a mapping, not %s", c.describe(path), kindName(n))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if err := c.check(v, t.Elem(), join(path, k.Value), false); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return c.errf(n, "%s must be a list, not %s", c.describe(path), kindName(n))
		}
		for i, e := range n.Content {
			if err := c.check(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), false); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return c.errf(n, "%s must be a string, not %s", c.describe(path), kindName(n))
		}
		if lastKey(path) == "version" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 &&
			(n.Tag == "!!float" || n.Tag == "!!int") {
			return c.errf(n, "version %s is a YAML number; quote it: version: %q (Luet and other YAML readers turn 1.10 into 1.1)", n.Value, n.Value)
		}
		return nil
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return c.errf(n, "%s must be true or false, not %s", c.describe(path), describeScalar(n))
		}
		return nil
	case reflect.Int, reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			return c.errf(n, "%s must be a whole number, not %s", c.describe(path), describeScalar(n))
		}
		return nil
	}
	return nil
}

func (c *checker) checkStruct(n *yaml.Node, t reflect.Type, path string, open bool) (err error) {
	si := infoOf(t)
	byName, names := si.byName, si.names
	var ignored []*yaml.Node
	defer func() {
		if len(ignored) > 0 && err == nil {
			err = c.ignoredKeys(n, ignored, path, names)
		}
	}()
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := byName[k.Value]
		if !ok {
			if open {
				continue
			}
			if err := c.typo(k, path, names); err != nil {
				return err
			}
			ignored = append(ignored, k)
			continue
		}
		if err := c.check(v, f.typ, join(path, f.name), false); err != nil {
			return err
		}
	}
	return nil
}

// typo reports an unknown key that is close to a known one: a likely typo, and an error
// ("stpes" would build without its steps). It returns nil for any other key.
func (c *checker) typo(k *yaml.Node, path string, names []string) error {
	if h, ok := c.hints[k.Value]; ok && path == "" {
		return c.errf(k, "%s", h)
	}
	if s := suggest.Nearest(k.Value, names); s != "" {
		return c.errf(k, "unknown key %q in %s (did you mean %q?)", k.Value, c.describe(path), s)
	}
	return nil
}

// ignoredKeys warns, once per mapping, about its unknown keys that are not typos: luet ignores
// them (a whole package merged into a reference brings a dozen). The warning names the
// nearest known key when one is related ("environment" → "env"), else the known keys. Keys
// merged from an anchor defined earlier are reported at the mapping that merges them.
func (c *checker) ignoredKeys(n *yaml.Node, keys []*yaml.Node, path string, names []string) error {
	at := keys[0]
	if at.Line < n.Line {
		at = n
	}
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = fmt.Sprintf("%q", k.Value)
	}
	hint := fmt.Sprintf(" (known: %s)", strings.Join(names, ", "))
	if len(keys) == 1 {
		if s := suggest.Related(keys[0].Value, names); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		return c.warn(at, "unknown key %s in %s is ignored, as luet ignores it%s", quoted[0], c.describe(path), hint)
	}
	return c.warn(at, "unknown keys %s in %s are ignored, as luet ignores them%s", strings.Join(quoted, ", "), c.describe(path), hint)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// describe names the place path is at: its dotted path, or the whole file (or collection
// entry).
func (c *checker) describe(path string) string {
	if path == "" {
		if c.entry {
			return "the collection entry"
		}
		return "the file"
	}
	return fmt.Sprintf("%q", path)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return describeScalar(n)
	}
}

func describeScalar(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return fmt.Sprintf("%q", v)
}

// decode expands n (merge keys, repeated keys), checks the result against out's type and
// decodes it.
func (c *checker) decode(n *yaml.Node, out any, open bool) error {
	if n == nil {
		return nil
	}
	n, err := c.expand(n, "")
	if err != nil {
		return err
	}
	if err := c.check(n, reflect.TypeOf(out), "", open); err != nil {
		return err
	}
	if err := n.Decode(out); err != nil {
		return specErr(c.file, c.line(n), nil, "decoding: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

func typeOf[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }
