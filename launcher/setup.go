package launcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// setupCommand is one entry of setup_commands (pspf-2025.md §11.9): a plain command string, or an
// object whose type is write_file, enumerate_and_execute, or anything else (run its command).
type setupCommand struct {
	Type    string `json:"type"`
	Command string `json:"command"`
	// write_file
	Path    string          `json:"path"`
	Content string          `json:"content"`
	Mode    json.RawMessage `json:"mode"`
	// enumerate_and_execute
	Enumerate struct {
		Path    string `json:"path"`
		Pattern string `json:"pattern"`
	} `json:"enumerate"`
}

func (c *setupCommand) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &c.Command)
	}
	type plain setupCommand
	return json.Unmarshal(b, (*plain)(c))
}

// String names the command in error messages.
func (c setupCommand) String() string {
	switch c.Type {
	case "write_file":
		return "write_file " + c.Path
	case "enumerate_and_execute":
		return c.Command + " " + filepath.Join(c.Enumerate.Path, c.Enumerate.Pattern)
	}
	return c.Command
}

// mode parses the optional file mode of write_file: a JSON number (493) or an octal string
// ("0755"); 0o644 when absent.
func (c setupCommand) mode() (os.FileMode, error) {
	m := bytes.TrimSpace(c.Mode)
	if len(m) == 0 || string(m) == "null" {
		return 0o644, nil
	}
	var s string
	if m[0] == '"' {
		if err := json.Unmarshal(m, &s); err != nil {
			return 0, err
		}
		v, err := strconv.ParseUint(s, 8, 32)
		if err != nil {
			return 0, fmt.Errorf("mode %q is not an octal number", s)
		}
		return os.FileMode(v).Perm(), nil
	}
	v, err := strconv.ParseUint(string(m), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("mode %s is not a number", m)
	}
	return os.FileMode(v).Perm(), nil
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

func (r *setupRunner) run(c setupCommand) error {
	switch c.Type {
	case "write_file":
		return r.writeFile(c)
	case "enumerate_and_execute":
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

func (r *setupRunner) writeFile(c setupCommand) error {
	p, err := r.ph.expand(c.Path)
	if err != nil {
		return err
	}
	content, err := r.ph.expand(c.Content)
	if err != nil {
		return err
	}
	mode, err := c.mode()
	if err != nil {
		return err
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
func runSetup(r *setupRunner, cmds []setupCommand) error {
	for i, c := range cmds {
		if err := r.run(c); err != nil {
			return fmt.Errorf("%w: setup command %d (%s): %w", ErrSetupFailed, i+1, strings.TrimSpace(c.String()), err)
		}
	}
	return nil
}
