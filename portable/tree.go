package portable

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ErrNotFound: a path of the closure is not in the tree.
var ErrNotFound = errors.New("not in the package")

// Tree is a package's files as they lie in the workenv, by clean workenv-relative path.
type Tree struct {
	entries map[string]*entry
	closers []io.Closer
}

type entry struct {
	dir  bool
	link string // symlink target, as written; "" for others
	root string // the tree root an absolute link target is relative to
	// regular files
	ra   io.ReaderAt
	off  int64
	size int64
	disk string // a file on disk, opened when needed
}

// NewTree returns an empty tree. Close releases the files AddTar keeps open.
func NewTree() *Tree { return &Tree{entries: map[string]*entry{".": {dir: true}}} }

// Close closes the tar files the tree reads from.
func (t *Tree) Close() error {
	var errs []error
	for _, c := range t.closers {
		errs = append(errs, c.Close())
	}
	t.closers = nil
	return errors.Join(errs...)
}

func (t *Tree) put(name string, e *entry) {
	name = path.Clean(name)
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		if _, ok := t.entries[d]; ok {
			break
		}
		t.entries[d] = &entry{dir: true}
	}
	t.entries[name] = e
}

// AddTarFile adds the entries of the plain tar file at file, which unpacks at the workenv; root
// is the slot's tree root, which absolute link targets are relative to ("" for the workenv).
// File contents are read from the file when needed, so it stays open until Close.
func (t *Tree) AddTarFile(ctx context.Context, file, root string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	t.closers = append(t.closers, f)
	cr := &countingReader{f: f}
	tr := tar.NewReader(cr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if name == "" {
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir:
			t.put(name, &entry{dir: true})
		case tar.TypeSymlink:
			t.put(name, &entry{link: h.Linkname, root: root})
		case tar.TypeLink:
			target := strings.TrimPrefix(path.Clean("/"+h.Linkname), "/")
			if e, ok := t.entries[target]; ok {
				t.put(name, e)
			}
		case tar.TypeReg, tar.TypeRegA:
			// archive/tar reads headers block by block, so the data starts where the reader is.
			t.put(name, &entry{ra: f, off: cr.n, size: h.Size})
		}
	}
}

// AddDir adds the tree under dir at prefix inside the workenv ("" for the workenv itself),
// which is also the tree root absolute links are relative to.
func (t *Tree) AddDir(ctx context.Context, dir, prefix string) error {
	prefix = path.Clean("/" + prefix)[1:]
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := path.Join(prefix, filepath.ToSlash(rel))
		if name == "." {
			return nil
		}
		switch {
		case d.IsDir():
			t.put(name, &entry{dir: true})
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			t.put(name, &entry{link: filepath.ToSlash(link), root: prefix})
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			t.put(name, &entry{disk: p, size: info.Size()})
		}
		return nil
	})
}

// resolve follows p (workenv-relative, or absolute within root) through the tree's symlinks
// and returns the clean path it ends at and its entry; ErrNotFound when it does not exist, or
// leaves the workenv.
func (t *Tree) resolve(p, root string) (string, *entry, error) {
	var stack []string
	if strings.HasPrefix(p, "/") {
		p = path.Join(root, p)
	}
	todo := strings.Split(path.Clean(p), "/")
	var cur *entry
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return "", nil, fmt.Errorf("%s leaves the workenv: %w", p, ErrNotFound)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		e, ok := t.entries[strings.Join(stack, "/")]
		if !ok {
			return "", nil, fmt.Errorf("%s: %w", p, ErrNotFound)
		}
		if e.link != "" {
			if hops++; hops > 40 {
				return "", nil, fmt.Errorf("%s: too many levels of symlinks: %w", p, ErrNotFound)
			}
			stack = stack[:len(stack)-1]
			if strings.HasPrefix(e.link, "/") {
				stack = nil
				if e.root != "" {
					stack = strings.Split(e.root, "/")
				}
			}
			todo = append(strings.Split(e.link, "/"), todo...)
			continue
		}
		cur = e
	}
	if cur == nil {
		return ".", t.entries["."], nil
	}
	return strings.Join(stack, "/"), cur, nil
}

// open returns a reader of a regular file's content.
func (e *entry) open() (io.ReaderAt, func(), error) {
	if e.disk == "" {
		return io.NewSectionReader(e.ra, e.off, e.size), func() {}, nil
	}
	f, err := os.Open(e.disk)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// readFile returns the content of the regular file at p (small files: ld.so.conf).
func (t *Tree) readFile(p, root string) ([]byte, error) {
	_, e, err := t.resolve(p, root)
	if err != nil {
		return nil, err
	}
	if e.dir || e.size > 1<<20 {
		return nil, fmt.Errorf("%s is not a small regular file", p)
	}
	ra, done, err := e.open()
	if err != nil {
		return nil, err
	}
	defer done()
	b := make([]byte, e.size)
	_, err = ra.ReadAt(b, 0)
	if err == io.EOF {
		err = nil
	}
	return b, err
}

// names lists the entries directly in directory dir (clean, workenv-relative).
func (t *Tree) names(dir string) []string {
	var out []string
	for n := range t.entries {
		if n != "." && path.Dir(n) == dir {
			out = append(out, path.Base(n))
		}
	}
	return out
}

// countingReader knows its offset in the file, so the data of the current tar entry is at n. It
// seeks, so archive/tar skips file contents instead of reading them.
type countingReader struct {
	f *os.File
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Seek(off int64, whence int) (int64, error) {
	n, err := c.f.Seek(off, whence)
	if err == nil {
		c.n = n
	}
	return n, err
}
