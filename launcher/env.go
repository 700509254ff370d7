package launcher

import (
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
)

// EnvRules is the runtime.env section of a package: which variables of the caller's environment
// reach the command. They apply in the order pass → unset → map → set.
type EnvRules struct {
	// Pass protects variables (exact names or globs with * and ?) from Unset.
	Pass []string
	// Unset removes variables: "*" every unprotected one, a glob the unprotected matches, an
	// exact name that variable (unless protected).
	Unset []string
	// Map renames OLD to NEW (NEW gets OLD's value, OLD is removed), only if OLD exists.
	Map map[string]string
	// Set assigns values.
	Set map[string]string
}

// windowsKeep are the variables a Windows program cannot start without; they are always passed.
var windowsKeep = []string{"SYSTEMROOT", "WINDIR", "TEMP", "TMP", "PATHEXT", "COMSPEC"}

// envSpec is everything that shapes the child's environment, with placeholders already expanded.
type envSpec struct {
	rules       EnvRules
	exec        map[string]string // execution.env / execution.environment
	flavor      [][2]string       // FLAVOR_WORKENV, FLAVOR_PACKAGE, … in this order
	pathPrepend []string
	workenvBin  string
	pathAppend  []string
}

// environ is an ordered environment whose names compare case-insensitively on Windows.
type environ struct {
	fold    bool
	entries []envEntry
	index   map[string]int // key(name) → position in entries
}

type envEntry struct {
	name, value string
	gone        bool
}

func newEnviron(kv []string, fold bool) *environ {
	e := &environ{fold: fold, entries: make([]envEntry, 0, len(kv)+8), index: make(map[string]int, len(kv)+8)}
	for _, s := range kv {
		// Windows keeps per-drive directories in names that start with "=", such as "=C:".
		i := strings.IndexByte(s[min(1, len(s)):], '=')
		if i < 0 {
			continue
		}
		i += min(1, len(s))
		e.set(s[:i], s[i+1:])
	}
	return e
}

func (e *environ) key(name string) string {
	if e.fold {
		return strings.ToUpper(name)
	}
	return name
}

func (e *environ) get(name string) (string, bool) {
	if i, ok := e.index[e.key(name)]; ok {
		return e.entries[i].value, true
	}
	return "", false
}

// set assigns name, keeping the spelling and position of an existing variable.
func (e *environ) set(name, value string) {
	k := e.key(name)
	if i, ok := e.index[k]; ok {
		e.entries[i].value = value
		return
	}
	e.index[k] = len(e.entries)
	e.entries = append(e.entries, envEntry{name: name, value: value})
}

func (e *environ) unset(name string) {
	k := e.key(name)
	if i, ok := e.index[k]; ok {
		e.entries[i].gone = true
		delete(e.index, k)
	}
}

// nameOf returns the stored spelling of name ("Path" for "PATH" on Windows), or name.
func (e *environ) nameOf(name string) string {
	if i, ok := e.index[e.key(name)]; ok {
		return e.entries[i].name
	}
	return name
}

func (e *environ) list() []string {
	out := make([]string, 0, len(e.index))
	for _, en := range e.entries {
		if !en.gone {
			out = append(out, en.name+"="+en.value)
		}
	}
	return out
}

// match reports whether name matches pattern, an exact name or a glob with * and ?.
func (e *environ) match(pattern, name string) bool {
	if e.fold {
		pattern, name = strings.ToUpper(pattern), strings.ToUpper(name)
	}
	if pattern == name {
		return true
	}
	if !strings.ContainsAny(pattern, "*?[") {
		return false
	}
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}

// buildEnv returns the child's environment: parent, then runtime.env (pass → unset → map → set),
// then the execution environment, then the FLAVOR_* variables and PATH, which come last so that
// unset ["*"] can never remove them.
func buildEnv(parent []string, s envSpec) []string {
	return buildEnvFor(parent, s, runtime.GOOS == "windows")
}

func buildEnvFor(parent []string, s envSpec, windows bool) []string {
	e := newEnviron(parent, windows)
	pass := s.rules.Pass
	if windows {
		pass = append(append([]string(nil), pass...), windowsKeep...)
	}
	protected := func(name string) bool {
		for _, p := range pass {
			if e.match(p, name) {
				return true
			}
		}
		return false
	}
	for _, u := range s.rules.Unset {
		for _, en := range e.entries {
			if !en.gone && (u == "*" || e.match(u, en.name)) && !protected(en.name) {
				e.unset(en.name)
			}
		}
	}
	for _, old := range sortedKeys(s.rules.Map) {
		if v, ok := e.get(old); ok {
			e.unset(old)
			e.set(s.rules.Map[old], v)
		}
	}
	for _, k := range sortedKeys(s.rules.Set) {
		e.set(k, s.rules.Set[k])
	}
	for _, k := range sortedKeys(s.exec) {
		e.set(k, s.exec[k])
	}
	for _, kv := range s.flavor {
		e.set(kv[0], kv[1])
	}
	parts := make([]string, 0, len(s.pathPrepend)+len(s.pathAppend)+2)
	parts = append(parts, s.pathPrepend...)
	if s.workenvBin != "" {
		parts = append(parts, s.workenvBin)
	}
	if cur, ok := e.get("PATH"); ok && cur != "" {
		parts = append(parts, cur)
	}
	parts = append(parts, s.pathAppend...)
	sep := string(os.PathListSeparator)
	if windows {
		sep = ";"
	}
	if len(parts) > 0 {
		e.set(e.nameOf("PATH"), strings.Join(parts, sep))
	}
	return e.list()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
