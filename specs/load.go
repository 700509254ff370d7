package specs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/flavor-dev/flavor/progress"
)

// File names Luet gives meaning to.
const (
	definitionFile = "definition.yaml"
	collectionFile = "collection.yaml"
	buildFile      = "build.yaml"
	finalizeFile   = "finalize.yaml"
	templatesDir   = "templates"
)

// pkgDir is a directory holding a definition.yaml and/or a collection.yaml.
type pkgDir struct {
	tree       string
	dir        string
	definition bool
	collection bool
}

// Load reads the spec trees rooted at the given directories (the current directory when none)
// and renders every package's build.yaml and finalize.yaml for the options' platform, values
// and flavor, as build-specs.md describes:
//
//   - any directory holding definition.yaml or collection.yaml is a package (a collection is
//     several packages sharing one build.yaml); build.yaml beside it is its build spec and
//     finalize.yaml its finalizer; every *.yaml under a directory named templates is a shared
//     template whose `define` blocks every spec can use;
//   - directories named .git are skipped; symbolic links to directories are not followed;
//   - when trees define the same package, the first tree wins; twice in one tree is an error.
//
// A mistake in the files is the problem of the packages it concerns, never of the whole tree:
// every package that loads is in the tree and usable, and each problem is reported once by
// Tree.Problems, naming the file and line (as a *SpecError wrapping ErrInvalidSpec). A package
// with an error is left out; looking it up, or resolving something that needs it, fails
// naming the problem. What luet ignores silently is a warning (an error with WithStrict).
// Load itself fails only when a tree cannot be read at all, or ctx ends.
func Load(ctx context.Context, trees []string, opts ...Option) (*Tree, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("loading spec trees: %w", err)
		}
	}
	if len(trees) == 0 {
		trees = []string{"."}
	}
	trees = uniqueRoots(trees)
	values, err := readValues(ctx, o.valuesFiles)
	if err != nil {
		return nil, fmt.Errorf("loading spec trees: %w", err)
	}
	var dirs []pkgDir
	var tmpls []templateFile
	for _, root := range trees {
		d, t, err := scanTree(ctx, root)
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, d...)
		tmpls = append(tmpls, t...)
	}
	r, tmplErrs := newRenderer(tmpls)
	l := &loader{opts: &o, values: values, r: r}
	results, err := l.loadAll(ctx, dirs)
	if err != nil {
		return nil, err
	}
	for _, e := range tmplErrs {
		results = append(results, dirResult{problems: []problem{{err: e}}})
	}
	t := newTree(trees, &o, results)
	o.logger.Debug("loaded spec trees", "trees", trees, "directories", len(dirs), "templates", len(tmpls),
		"packages", len(t.packages), "problems", len(t.problems), "platform", o.platform.String(), "flavor", o.flavor)
	return t, nil
}

// scanTree walks one tree in lexical order and returns its package directories and shared
// templates.
func scanTree(ctx context.Context, root string) ([]pkgDir, []templateFile, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, nil, fmt.Errorf("reading spec tree: %w", err)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("reading spec tree %s: not a directory", root)
	}
	var dirs []pkgDir
	var tmpls []templateFile
	index := map[string]int{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading spec tree %s: %w", root, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if name == definitionFile || name == collectionFile {
			dir := filepath.Dir(path)
			i, ok := index[dir]
			if !ok {
				i = len(dirs)
				index[dir] = i
				dirs = append(dirs, pkgDir{tree: root, dir: dir})
			}
			if name == definitionFile {
				dirs[i].definition = true
			} else {
				dirs[i].collection = true
			}
		}
		if strings.HasSuffix(name, ".yaml") && inTemplatesDir(root, path) {
			data, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("reading shared template: %w", err)
			}
			tmpls = append(tmpls, templateFile{path: path, text: string(data)})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return dirs, tmpls, nil
}

// inTemplatesDir reports whether path lies under a directory named templates inside root.
func inTemplatesDir(root, path string) bool {
	rel, err := filepath.Rel(root, filepath.Dir(path))
	if err != nil || rel == "." {
		return false
	}
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if part == templatesDir {
			return true
		}
	}
	return false
}

// loader holds what every package directory needs while loading.
type loader struct {
	opts   *options
	values map[string]any
	r      *renderer
}

// loadAll loads every package directory on a pool of workers and returns what each gave, in
// the order of dirs.
func (l *loader) loadAll(ctx context.Context, dirs []pkgDir) ([]dirResult, error) {
	results := make([]dirResult, len(dirs))
	jobs := make(chan int)
	done := make(chan int)
	var wg sync.WaitGroup
	workers := max(1, min(l.opts.workers, len(dirs)))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := l.r.worker()
			for i := range jobs {
				if err != nil {
					results[i].fail(nil, dirs[i].dir, err)
				} else {
					results[i] = l.loadDir(ctx, w, dirs[i])
				}
				done <- i
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range dirs {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(done)
	}()
	n := 0
	for i := range done {
		n++
		if l.opts.progress != nil {
			l.opts.progress(progress.Event{Stage: StageLoad, Package: dirs[i].dir, Done: int64(n), Total: int64(len(dirs))})
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("loading spec trees: %w", err)
	}
	return results, nil
}

// readOptional reads a file that may be absent.
func readOptional(path string) ([]byte, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, true, nil
}

// uniqueRoots drops trees given more than once (after cleaning the path), keeping the first.
func uniqueRoots(trees []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range trees {
		c := filepath.Clean(t)
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
