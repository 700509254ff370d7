package manifest

import (
	"fmt"
	"strings"
)

// decodeVars reads [vars] and expands ${NAME} references between them in dependency order. "$${"
// stands for a literal "${"; a "$" not followed by "{" is kept as is. A reference to a name
// [vars] does not define, or a cycle, is an error.
func decodeVars(t *table) []Var {
	vt := t.sub("vars")
	if vt == nil {
		return nil
	}
	before := len(vt.d.errs)
	raw := map[string]string{}
	for _, name := range sortedKeys(vt.m) {
		s, ok := vt.m[name].(string)
		if !ok {
			vt.wrongType(name, "a string", vt.m[name])
			continue
		}
		raw[name] = s
	}
	names := sortedKeys(raw)
	refs := map[string][]string{}
	for _, name := range names {
		if !validEnvName(name) {
			vt.errorf(name, "%q is not a variable name: use letters, digits and '_', not starting with a digit", name)
		}
		rs, err := references(raw[name])
		if err != nil {
			vt.errorf(name, "%v", err)
			continue
		}
		for _, r := range rs {
			if _, ok := raw[r]; !ok {
				vt.errorf(name, "${%s} is not defined in [vars]%s", r, didYouMean(r, names))
			}
		}
		refs[name] = rs
	}
	if len(vt.d.errs) > before {
		return nil
	}
	values := map[string]string{}
	state := map[string]int{} // 0 unvisited, 1 on the stack, 2 done
	var stack []string
	var visit func(name string) bool
	visit = func(name string) bool {
		switch state[name] {
		case 1:
			start := indexOf(stack, name)
			cycle := append(append([]string(nil), stack[start:]...), name)
			vt.errorf(cycle[0], "${...} references form a cycle: %s", strings.Join(cycle, " -> "))
			return false
		case 2:
			return true
		}
		state[name] = 1
		stack = append(stack, name)
		for _, r := range refs[name] {
			if !visit(r) {
				return false
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = 2
		values[name] = expand(raw[name], values)
		return true
	}
	for _, name := range names {
		if !visit(name) {
			return nil
		}
	}
	out := make([]Var, len(names))
	for i, name := range names {
		out[i] = Var{Name: name, Raw: raw[name], Value: values[name]}
	}
	return out
}

func indexOf(s []string, x string) int {
	for i, e := range s {
		if e == x {
			return i
		}
	}
	return -1
}

// references lists the names a value refers to with ${NAME}, in order, without repeats.
func references(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		if s[i+1] == '$' && i+2 < len(s) && s[i+2] == '{' {
			i += 2 // "$${" is a literal "${"
			continue
		}
		if s[i+1] != '{' {
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unclosed \"${\" at byte %d; write \"$${\" for a literal \"${\"", i)
		}
		name := s[i+2 : i+2+end]
		if !validEnvName(name) {
			return nil, fmt.Errorf("${%s}: not a variable name", name)
		}
		if indexOf(out, name) < 0 {
			out = append(out, name)
		}
		i += 2 + end
	}
	return out, nil
}

// expand replaces every ${NAME} with its value and "$${" with "${". references has accepted s.
func expand(s string, values map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '$' && strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 2
		case s[i] == '$' && strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			b.WriteString(values[s[i+2:i+2+end]])
			i += 2 + end
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
