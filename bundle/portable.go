package bundle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/portable"
)

// ErrNotPortable: [execution] portable = true, and the command cannot start from the package's
// own loader and libraries.
var ErrNotPortable = errors.New("the command cannot start from the package's own files")

// portableExecution decides whether the command's program starts through the package's own
// dynamic loader, and if so records the loader and library path in spec (see package portable).
// want is [execution] portable: nil means "when the package holds the program's loader".
func portableExecution(ctx context.Context, spec *packer.Spec, slots []Slot, want *bool) error {
	if want != nil && !*want {
		return nil
	}
	prog, ok := workenvProgram(spec.Execution.Command)
	if !ok {
		if want != nil {
			return fmt.Errorf("[execution] portable = true: the command %q does not name a program in the workenv ({workenv}/…): %w", spec.Execution.Command, ErrNotPortable)
		}
		return nil
	}
	tree := portable.NewTree()
	defer tree.Close()
	for _, s := range slots {
		if err := addSlot(ctx, tree, s.Slot); err != nil {
			return fmt.Errorf("reading slot %s for the command's libraries: %w", s.ID, err)
		}
	}
	p, err := tree.Program(prog, "")
	switch {
	case err == nil:
	case want == nil && (errors.Is(err, portable.ErrNotDynamic) || errors.Is(err, portable.ErrNotFound) || errors.Is(err, portable.ErrNoLoader)):
		return nil // a static program, a script, or one that relies on the host's loader
	case errors.Is(err, portable.ErrMissingLibrary) || errors.Is(err, portable.ErrNotDynamic) || errors.Is(err, portable.ErrNoLoader) || errors.Is(err, portable.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotPortable, err)
	default:
		return err
	}
	spec.Execution.Loader = "{workenv}/" + p.Interpreter
	spec.Execution.LibraryPath = nil
	for _, d := range p.LibraryPath {
		spec.Execution.LibraryPath = append(spec.Execution.LibraryPath, "{workenv}/"+d)
	}
	return nil
}

// workenvProgram returns the workenv-relative path of the command's program when its first word
// is {workenv}/….
func workenvProgram(command string) (string, bool) {
	f := strings.Fields(command)
	if len(f) == 0 {
		return "", false
	}
	w := strings.Trim(f[0], `"'`)
	rest, ok := strings.CutPrefix(w, "{workenv}/")
	if !ok || rest == "" || strings.ContainsAny(rest, "{}") {
		return "", false
	}
	return rest, true
}

// addSlot adds a tar slot's files to the tree: a directory, a prefixed directory, a plain tar
// file, or a streamed [install] group (merged into a temporary tar for it). Other slots (single files, streams) hold no programs the command runs.
func addSlot(ctx context.Context, tree *portable.Tree, s packer.Slot) error {
	switch {
	case s.Path != "":
		if st, err := os.Stat(s.Path); err != nil || !st.IsDir() {
			return nil
		}
		return tree.AddDir(ctx, s.Path, s.TreeRoot)
	case s.Reader != nil:
		switch r := s.Reader.(type) {
		case *prefixedTar:
			return tree.AddDir(ctx, r.dir, r.prefix)
		case *os.File:
			if s.Operations.HasTar() {
				return tree.AddTarFile(ctx, r.Name(), s.TreeRoot)
			}
		case *groupStream:
			if s.Operations.HasTar() {
				name, err := r.File() // programs are read at their offsets: the tar is needed whole
				if err != nil {
					return err
				}
				return tree.AddTarFile(ctx, name, s.TreeRoot)
			}
		}
	}
	return nil
}
