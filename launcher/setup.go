package launcher

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/packer"
)

// describeSetup names a setup command in error messages.
func describeSetup(c packer.SetupCommand) string {
	switch c.Type {
	case "write_file":
		return "write_file " + c.Path
	case "enumerate_and_execute":
		if c.Enumerate != nil {
			return c.Command + " " + filepath.Join(c.Enumerate.Path, c.Enumerate.Pattern)
		}
	}
	return c.Command
}

// setupRunner runs setup commands with the package's environment, the workenv as working
// directory, no stdin, and their output on the launcher's stderr (so a first run's stdout is the
// same as every later run's).
type setupRunner struct {
	ph      *placeholders
	env     []string
	dir     string
	pathEnv string
	pathExt string
	stderr  *os.File
}

func (r *setupRunner) run(c packer.SetupCommand) error {
	switch c.Type {
	case "write_file":
		return r.writeFile(c)
	case "enumerate_and_execute":
		if c.Enumerate == nil {
			return errors.New("enumerate_and_execute without enumerate")
		}
		pattern, err := r.ph.expand(filepath.Join(c.Enumerate.Path, c.Enumerate.Pattern))
		if err != nil {
			return err
		}
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return fmt.Errorf("enumerating %s: %w", pattern, err)
		}
		sort.Strings(matches)
		return r.exec(c.Command, matches)
	}
	return r.exec(c.Command, nil)
}

func (r *setupRunner) writeFile(c packer.SetupCommand) error {
	p, err := r.ph.expand(c.Path)
	if err != nil {
		return err
	}
	content, err := r.ph.expand(c.Content)
	if err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if c.Mode != nil {
		mode = os.FileMode(*c.Mode).Perm()
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.dir, p)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(p, []byte(content+"\n"), mode); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}

func (r *setupRunner) exec(command string, extra []string) error {
	words, err := SplitCommand(command)
	if err != nil {
		return err
	}
	if words, err = r.ph.expandAll(words); err != nil {
		return err
	}
	words = append(words, extra...)
	if len(words) == 0 {
		return errors.New("empty command")
	}
	path, err := lookPath(words[0], r.pathEnv, r.pathExt)
	if err != nil {
		return err
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	code, err := spawn(spawnSpec{
		path: path, argv: words, env: r.env, dir: r.dir,
		stdio:    [3]*os.File{null, r.stderr, r.stderr},
		shutdown: defaultShutdown,
	})
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("exit code %d", code)
	}
	return nil
}

// runSetup runs every setup command in order; the first failure stops it with an error that
// names the command and why it failed.
func runSetup(r *setupRunner, cmds []packer.SetupCommand) error {
	for i, c := range cmds {
		if err := r.run(c); err != nil {
			return fmt.Errorf("%w: setup command %d (%s): %w", ErrSetupFailed, i+1, strings.TrimSpace(describeSetup(c)), err)
		}
	}
	return nil
}
