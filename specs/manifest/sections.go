package manifest

import (
	"slices"
	"strings"
	"time"

	"github.com/flavor-dev/flavor/specs/flavor"
)

func decodeOptions(t *table) Options {
	var o Options
	ot := t.sub("options")
	if ot == nil {
		return o
	}
	ot.known("systems", "flavor", "trees", "values", "strict-trees")
	if systems, ok := ot.strs("systems"); ok {
		o.Systems = decodeSystems(ot, "systems", systems, nil)
		if o.Systems == nil {
			o.Systems = []string{}
		}
	}
	if s, ok := ot.str("flavor"); ok {
		o.Flavor = decodeFlavor(ot, "flavor", s)
	}
	o.Trees = decodePaths(ot, "trees")
	o.Values = decodePaths(ot, "values")
	o.StrictTrees, _ = ot.boolean("strict-trees")
	return o
}

// decodeSystems normalises a list of systems, reporting unknown and repeated ones and, when
// allowed is not nil, those outside it.
func decodeSystems(t *table, key string, systems, allowed []string) []string {
	var out []string
	for _, s := range systems {
		norm, err := NormalizeSystem(s)
		if err != nil {
			t.errorf(key, "%v", err)
			continue
		}
		if slices.Contains(out, norm) {
			t.errorf(key, "system %q is listed twice", s)
			continue
		}
		if allowed != nil && !slices.Contains(allowed, norm) {
			t.errorf(key, "system %q is not in options.systems (%s); each package's systems must be a subset", s, strings.Join(allowed, ", "))
			continue
		}
		out = append(out, norm)
	}
	return out
}

func decodeFlavor(t *table, key, s string) flavor.Flavor {
	f, err := flavor.Parse(s)
	if err != nil {
		t.errorf(key, "%v", err)
	}
	return f
}

func decodePaths(t *table, key string) []string {
	paths, ok := t.strs(key)
	if !ok {
		return nil
	}
	for i, p := range paths {
		if strings.TrimSpace(p) == "" {
			t.errorf(key, "element %d: empty path", i)
		}
	}
	return paths
}

func decodeInstall(t *table, o Options) []Install {
	it := t.sub("install")
	if it == nil {
		return nil
	}
	var out []Install
	for _, id := range sortedKeys(it.m) {
		e := it.sub(id)
		if e == nil {
			continue // reported: an install entry must be a table
		}
		if !validID(id) {
			e.errorf("", "install id %q: use letters, digits, '_', and '.' or '-' after the first character", id)
		}
		e.known("pkg-path", "version", "pkg-group", "systems", "flavor")
		in := Install{ID: id, PkgGroup: DefaultPkgGroup}
		if p, ok := e.str("pkg-path"); ok {
			if !validPkgPath(p) {
				e.errorf("pkg-path", "%q: want category/name, e.g. \"apps/hello\"", p)
			}
			in.PkgPath = p
		} else if _, present := e.m["pkg-path"]; !present {
			e.missingf("", "pkg-path is required: the package's category/name in the trees, e.g. %s.pkg-path = \"apps/hello\"", id)
		}
		in.Version, _ = e.str("version")
		if g, ok := e.str("pkg-group"); ok {
			if !validID(g) {
				e.errorf("pkg-group", "%q: use letters, digits, '_', and '.' or '-' after the first character", g)
			}
			in.PkgGroup = g
		}
		if systems, ok := e.strs("systems"); ok {
			if len(o.Systems) == 0 {
				e.errorf("systems", "options.systems must list the systems first; a package's systems are a subset of them")
			} else {
				in.Systems = decodeSystems(e, "systems", systems, o.Systems)
				if in.Systems == nil {
					in.Systems = []string{}
				}
			}
		}
		if s, ok := e.str("flavor"); ok {
			in.Flavor = decodeFlavor(e, "flavor", s)
		}
		out = append(out, in)
	}
	sortInstall(out)
	return out
}

// validPkgPath reports whether p is "category/name" with two non-empty parts.
func validPkgPath(p string) bool {
	cat, name, ok := strings.Cut(p, "/")
	return ok && cat != "" && name != "" && !strings.Contains(name, "/") &&
		!strings.ContainsAny(p, " \t\n@:")
}

// maxShutdownTimeout bounds [execution.signals] shutdown_timeout.
const maxShutdownTimeout = time.Hour

// decodeExecution reads [execution]; a Python application (python) may leave it out: its command
// runs the entry point with the packed interpreter.
func decodeExecution(t *table, python bool) Execution {
	e := Execution{Signals: Signals{Forward: true}}
	et := t.sub("execution")
	if et == nil {
		if python {
			return e
		}
		t.missingf("execution", "required: [execution] command says what the package runs, e.g. command = \"{workenv}/bin/hello\"")
		return e
	}
	et.known("command", "args", "cwd", "path_prepend", "path_append", "runtime", "signals", "portable", "shell")
	if sh, ok := et.boolean("shell"); ok && sh {
		// FlavorPack's shell = false is what flavor does; true it cannot do.
		et.errorf("shell", "true cannot apply: the command runs directly, never through a shell; make a shell the command (command = \"/bin/sh -c …\") to get one")
	}
	if c, ok := et.str("command"); ok {
		e.Command = c
	}
	if strings.TrimSpace(e.Command) == "" && (!python || et.m["command"] != nil) {
		et.missingf("command", "required: what the package runs, e.g. command = \"{workenv}/bin/hello\"")
	}
	e.Args, _ = et.strs("args")
	e.Cwd, _ = et.str("cwd")
	e.PathPrepend = decodePaths(et, "path_prepend")
	e.PathAppend = decodePaths(et, "path_append")
	if b, ok := et.boolean("portable"); ok {
		e.Portable = &b
	}
	if rt := et.sub("runtime"); rt != nil {
		rt.known("env")
		if env := rt.sub("env"); env != nil {
			e.Env = decodeRuntimeEnv(env)
		}
	}
	if st := et.sub("signals"); st != nil {
		st.known("forward", "shutdown_timeout")
		if f, ok := st.boolean("forward"); ok {
			e.Signals.Forward = f
		}
		if n, ok := st.integer("shutdown_timeout"); ok {
			d := time.Duration(n) * time.Second
			if n < 0 || d > maxShutdownTimeout {
				st.errorf("shutdown_timeout", "%d: want seconds from 0 to %d", n, int(maxShutdownTimeout/time.Second))
			} else {
				e.Signals.ShutdownTimeout = d
			}
		}
	}
	return e
}

func decodeRuntimeEnv(t *table) RuntimeEnv {
	t.known("unset", "pass", "map", "set")
	var env RuntimeEnv
	for _, key := range []string{"unset", "pass"} {
		names, _ := t.strs(key)
		for _, n := range names {
			if !validEnvPattern(n) {
				t.errorf(key, "%q: want a variable name, optionally with * or ? wildcards", n)
			}
		}
		if key == "unset" {
			env.Unset = names
		} else {
			env.Pass = names
		}
	}
	env.Map, _ = t.strMap("map")
	for _, old := range sortedKeys(env.Map) {
		if !validEnvName(old) || !validEnvName(env.Map[old]) {
			t.errorf("map", "%q = %q: both sides must be variable names", old, env.Map[old])
		}
	}
	env.Set, _ = t.strMap("set")
	for _, name := range sortedKeys(env.Set) {
		if !validEnvName(name) {
			t.errorf("set", "%q: not a variable name", name)
		}
	}
	return env
}

// validEnvName reports whether s is an environment variable name: [A-Za-z_][A-Za-z0-9_]*.
func validEnvName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// validEnvPattern is validEnvName with the wildcards * and ? allowed anywhere.
func validEnvPattern(s string) bool {
	return s != "" && validEnvName(strings.Map(func(r rune) rune {
		if r == '*' || r == '?' {
			return '_'
		}
		return r
	}, s))
}

func decodeSigning(t *table) Signing {
	var s Signing
	st := t.sub("signing")
	if st == nil {
		return s
	}
	st.known("private-key", "public-key", "key-seed")
	s.PrivateKey, _ = st.str("private-key")
	s.PublicKey, _ = st.str("public-key")
	s.KeySeed, _ = st.str("key-seed")
	switch {
	case s.KeySeed != "" && (s.PrivateKey != "" || s.PublicKey != ""):
		st.errorf("key-seed", "give key files or key-seed, not both")
	case s.PrivateKey != "" && s.PublicKey == "":
		st.errorf("public-key", "required with private-key: the PEM public key written by flavor keygen")
	case s.PublicKey != "" && s.PrivateKey == "":
		st.errorf("private-key", "required with public-key: the PEM (PKCS#8) private key written by flavor keygen")
	}
	return s
}
