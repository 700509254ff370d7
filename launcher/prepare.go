package launcher

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// command is everything needed to start the package's program, placeholders expanded.
type command struct {
	argv    []string
	own     int // how many words of argv the package gave (its command and args); the user's follow
	env     []string
	dir     string // "" = the caller's working directory
	path    string // PATH of the child, where argv[0] is looked up
	pathExt string
	loader  string // the package's dynamic loader the program starts through ("" for none)
	libPath string // its library search path, ":"-separated
}

// prepare expands the placeholders of the command, its arguments, environment and working
// directory, and builds the child's environment. It records which lazy slots the placeholders
// name, so ensureTree extracts them.
func (l *launch) prepare() (*command, error) {
	p := l.plan
	l.lazy = map[int]bool{}
	l.ph = &placeholders{workenv: l.lay.workenv, packageName: p.name, version: p.version, pkg: l.o.pkg, slot: l.slotPath}
	bad := func(what string, err error) (*command, error) {
		return nil, fail(CategoryOther, fmt.Sprintf("preparing the %s of %s", what, l.name), err,
			"the package's metadata is wrong; report it to its publisher")
	}
	words, err := SplitCommand(p.exec.Command)
	if err != nil {
		return bad("command", err)
	}
	if len(words) == 0 {
		return bad("command", ErrNoCommand)
	}
	if words, err = l.ph.expandAll(words); err != nil {
		return bad("command", err)
	}
	args, err := l.ph.expandAll(p.exec.Args)
	if err != nil {
		return bad("arguments", err)
	}
	argv := make([]string, 0, len(words)+len(args)+len(l.o.args))
	argv = append(append(append(argv, words...), args...), l.o.args[1:]...)

	spec := envSpec{workenvBin: filepath.Join(l.lay.workenv, "bin")}
	if spec.rules, err = l.expandRules(p.rules); err != nil {
		return bad("environment", err)
	}
	if spec.exec, err = l.expandMap(p.env()); err != nil {
		return bad("environment", err)
	}
	if spec.pathPrepend, err = l.ph.expandAll(p.exec.PathPrepend); err != nil {
		return bad("PATH", err)
	}
	if spec.pathAppend, err = l.ph.expandAll(p.exec.PathAppend); err != nil {
		return bad("PATH", err)
	}
	spec.flavor = [][2]string{
		{"FLAVOR_WORKENV", l.lay.workenv},
		{"FLAVOR_PACKAGE", l.o.pkg},
		{"FLAVOR_COMMAND_NAME", filepath.Base(l.o.args[0])},
		{"FLAVOR_ORIGINAL_COMMAND", l.o.args[0]},
	}
	cmd := &command{argv: argv, own: len(words) + len(args), env: buildEnv(l.o.env, spec)}
	if p.exec.Loader != "" {
		if cmd.loader, err = l.ph.expand(p.exec.Loader); err != nil {
			return bad("loader", err)
		}
		dirs, err := l.ph.expandAll(p.exec.LibraryPath)
		if err != nil {
			return bad("library path", err)
		}
		cmd.libPath = strings.Join(dirs, ":")
	}
	if p.exec.Cwd != "" {
		dir, err := l.ph.expand(p.exec.Cwd)
		if err != nil {
			return bad("working directory", err)
		}
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(l.lay.workenv, dir)
		}
		cmd.dir = dir
	} else if l.o.cwd != "" {
		cmd.dir = l.o.cwd
	}
	child := newEnviron(cmd.env, runtime.GOOS == "windows")
	cmd.path, _ = child.get("PATH")
	cmd.pathExt, _ = child.get("PATHEXT")
	return cmd, nil
}

// slotPath resolves {slot:N}: the slot's final path in the workenv. A lazy slot named here is
// extracted before the command runs.
func (l *launch) slotPath(n int) (string, error) {
	i, ok := l.plan.byNum[n]
	if !ok {
		return "", fmt.Errorf("%w: the package has no slot %d", ErrUnknownSlot, n)
	}
	s := l.plan.slots[i]
	if !s.here {
		return "", fmt.Errorf("%w: slot %d (%s) is not for %s/%s", ErrUnknownSlot, n, s.id, runtime.GOOS, runtime.GOARCH)
	}
	if s.class == classLazy {
		l.lazy[s.pos] = true
	}
	return s.path(l.lay.workenv), nil
}

func (l *launch) expandMap(m map[string]string) (map[string]string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		x, err := l.ph.expand(v)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", k, err)
		}
		out[k] = x
	}
	return out, nil
}

// expandRules expands placeholders in the values of runtime.env.set; names are taken literally.
func (l *launch) expandRules(r EnvRules) (EnvRules, error) {
	set, err := l.expandMap(r.Set)
	if err != nil {
		return r, err
	}
	r.Set = set
	return r, nil
}

// missingInWorkenv reports whether a word of the package's own command line (an interpreter's
// script, `sh {workenv}/bin/run`) names a path in the workenv that is not there: one lstat per
// such word, the warm path's only look at the tree.
func (c *command) missingInWorkenv(workenv string) bool {
	prefix := workenv + string(filepath.Separator)
	for _, w := range c.argv[1:c.own] {
		if strings.HasPrefix(w, prefix) && !exists(w) {
			return true
		}
	}
	return false
}
