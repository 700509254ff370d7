package manifest

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// decoder walks the generic tree toml.Decode produced, checking every key against the schema and
// every value against its type, and collecting *Error values with lines.
type decoder struct {
	file    string
	lines   *keyLines
	errs    []*Error
	missing []missingKey    // required keys found absent, reported by problems
	unknown map[string]bool // labels of the tables that hold an unknown key
	python  bool            // a Python application's pyproject.toml: FlavorPack's spellings are accepted
}

// missingKey is a required key found absent from the table labelled table.
type missingKey struct {
	table string
	err   *Error
}

// table is one TOML table (or array element) being decoded.
type table struct {
	d     *decoder
	path  []string // key path from the document root, for lines
	idx   int      // index within the innermost enclosing array, or -1
	label string   // how messages name it: "" for the root, "execution.runtime.env", "slots[1]"
	elem  bool     // an element of an array: named "slots[1]" rather than "[slots]"
	m     map[string]any
}

func (d *decoder) root(path []string, m map[string]any) *table {
	return &table{d: d, path: path, idx: -1, label: strings.Join(path, "."), m: m}
}

func (d *decoder) add(e *Error) { d.errs = append(d.errs, e) }

// problems returns what the decode found. A required key is reported absent only when no unknown
// key sits in its table or a table around it: there the unknown key, with its "did you mean"
// hint, is most likely the required one misspelled (`[pakage]`, `naem = …`), and "required"
// beside it would send the reader the wrong way.
func (d *decoder) problems() []*Error {
	errs := d.errs
	for _, m := range d.missing {
		if !d.unknownAround(m.table) {
			errs = append(errs, m.err)
		}
	}
	return errs
}

// unknownAround reports whether the table labelled label, or one enclosing it, holds an unknown
// key.
func (d *decoder) unknownAround(label string) bool {
	if d.unknown[""] {
		return true
	}
	for i := range label {
		if (label[i] == '.' || label[i] == '[') && d.unknown[label[:i]] {
			return true
		}
	}
	return d.unknown[label]
}

// keyLabel names a key of t in messages.
func (t *table) keyLabel(key string) string {
	if t.label == "" {
		return key
	}
	return t.label + "." + key
}

// where names t itself in "unknown key" messages.
func (t *table) where() string {
	switch {
	case t.label == "":
		return ""
	case t.elem:
		return " in " + t.label
	default:
		return " in [" + t.label + "]"
	}
}

func (t *table) line(key string) int {
	p := t.path
	if key != "" {
		p = append(append([]string(nil), t.path...), key)
	}
	return t.d.lines.line(p, t.idx)
}

// errorf records a problem with the value of key (or with t itself when key is "").
func (t *table) errorf(key string, format string, args ...any) {
	label := t.label
	if key != "" {
		label = t.keyLabel(key)
	}
	t.d.add(&Error{File: t.d.file, Line: t.line(key), Key: label, Msg: fmt.Sprintf(format, args...)})
}

// missingf records that the required key (or t itself, when key is "") is absent; problems
// reports it unless an unknown key explains it.
func (t *table) missingf(key string, format string, args ...any) {
	label := t.label
	if key != "" {
		label = t.keyLabel(key)
	}
	e := &Error{File: t.d.file, Line: t.line(key), Key: label, Msg: fmt.Sprintf(format, args...)}
	t.d.missing = append(t.d.missing, missingKey{table: t.label, err: e})
}

// known reports every key of t that is not among keys, with the nearest known key as a hint, or
// with a note for FlavorPack keys flavor does not support.
func (t *table) known(keys ...string) {
	var unknown []string
	for k := range t.m {
		found := false
		for _, want := range keys {
			if k == want {
				found = true
				break
			}
		}
		if !found {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		if t.d.unknown == nil {
			t.d.unknown = map[string]bool{}
		}
		t.d.unknown[t.label] = true
	}
	for _, k := range unknown {
		msg := fmt.Sprintf("unknown key %q%s%s", k, t.where(), didYouMean(k, keys))
		if hint, ok := flavorPackOnly[strings.TrimPrefix(t.keyLabel(k), "tool.flavor.")]; ok && !strings.Contains(msg, "did you mean") {
			msg = fmt.Sprintf("key %q%s is FlavorPack's and flavor does not support it: %s", k, t.where(), hint)
		}
		t.d.add(&Error{File: t.d.file, Line: t.line(k), Msg: msg})
	}
}

// flavorPackOnly explains FlavorPack manifest keys (seeds 000 and 001) that flavor does not take.
var flavorPackOnly = map[string]string{
	"entry_point":                "Python applications are built from a pyproject.toml (entry_point under [tool.flavor] there); in a flavor.toml set [execution] command",
	"python_version":             "Python applications are built from a pyproject.toml ([tool.flavor] python_version there); in a flavor.toml build the runtime from a spec tree",
	"python":                     "Python applications are built from a pyproject.toml ([tool.flavor.python] there); in a flavor.toml build the runtime from a spec tree",
	"build":                      "run build steps from a spec tree ([install]) instead of pre_build/post_build hooks",
	"platforms":                  "list the targets in [options] systems",
	"validation":                 "flavor always validates strictly",
	"execution.validation":       "the launcher always verifies the signature and every slot",
	"execution.lazy_extraction":  "set lifecycle = \"lazy\" on the slots that should be extracted on demand",
	"execution.cache_validation": "the launcher always checks its cache",
	"execution.use_mmap":         "the launcher chooses how it reads slots",
	"execution.signals.handle":   "the launcher forwards SIGTERM, SIGINT and SIGHUP when forward = true",
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

func (t *table) wrongType(key string, want string, v any) {
	t.errorf(key, "expected %s, got %s", want, typeName(v))
}

func (t *table) str(key string) (string, bool) {
	v, ok := t.m[key]
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		t.wrongType(key, "a string", v)
	}
	return s, ok
}

func (t *table) strs(key string) ([]string, bool) {
	v, ok := t.m[key]
	if !ok {
		return nil, false
	}
	arr, ok := v.([]any)
	if !ok {
		t.wrongType(key, "an array of strings", v)
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			t.errorf(key, "element %d: expected a string, got %s", i, typeName(e))
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func (t *table) strMap(key string) (map[string]string, bool) {
	v, ok := t.m[key]
	if !ok {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.wrongType(key, "a table of strings", v)
		return nil, false
	}
	out := make(map[string]string, len(m))
	good := true
	for _, k := range sortedKeys(m) {
		s, ok := m[k].(string)
		if !ok {
			t.errorf(key, "%q: expected a string, got %s", k, typeName(m[k]))
			good = false
			continue
		}
		out[k] = s
	}
	return out, good
}

func (t *table) integer(key string) (int64, bool) {
	v, ok := t.m[key]
	if !ok {
		return 0, false
	}
	n, ok := v.(int64)
	if !ok {
		t.wrongType(key, "an integer", v)
	}
	return n, ok
}

func (t *table) boolean(key string) (bool, bool) {
	v, ok := t.m[key]
	if !ok {
		return false, false
	}
	b, ok := v.(bool)
	if !ok {
		t.wrongType(key, "true or false", v)
	}
	return b, ok
}

// sub returns the sub-table at key, or nil when it is absent or not a table (then reported).
func (t *table) sub(key string) *table {
	v, ok := t.m[key]
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.wrongType(key, "a table", v)
		return nil
	}
	return &table{
		d:     t.d,
		path:  append(append([]string(nil), t.path...), key),
		idx:   t.idx,
		label: t.keyLabel(key),
		m:     m,
	}
}

// tables returns the elements of an array of tables at key ([[key]], or key = [{…}, …]); nil
// when absent or of another type (then reported).
func (t *table) tables(key string) []*table {
	v, ok := t.m[key]
	if !ok {
		return nil
	}
	var ms []map[string]any
	switch arr := v.(type) {
	case []map[string]any:
		ms = arr
	case []any:
		for i, e := range arr {
			m, ok := e.(map[string]any)
			if !ok {
				t.errorf(key, "element %d: expected a table, got %s", i, typeName(e))
				return nil
			}
			ms = append(ms, m)
		}
	default:
		t.wrongType(key, "an array of tables", v)
		return nil
	}
	out := make([]*table, len(ms))
	for i, m := range ms {
		out[i] = &table{
			d:     t.d,
			path:  append(append([]string(nil), t.path...), key),
			idx:   i,
			label: fmt.Sprintf("%s[%d]", t.keyLabel(key), i),
			elem:  true,
			m:     m,
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
