package delta

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// ChangeKind is the kind of a change an engine reports, with the Docker API's values.
type ChangeKind uint8

// The change kinds (Docker's ContainerChanges).
const (
	ChangeModify ChangeKind = 0
	ChangeAdd    ChangeKind = 1
	ChangeDelete ChangeKind = 2
)

// Change is one entry of an engine's change list.
type Change struct {
	Path string // absolute
	Kind ChangeKind
}

// ChangeSource is a finished build container seen through an engine's API alone (a remote
// engine): its change list and tar streams of single paths.
type ChangeSource interface {
	// Changes lists the paths the container changed relative to its image.
	Changes(ctx context.Context) ([]Change, error)
	// ReadPath returns a tar stream of the path in the container whose first entry is the path
	// itself (a directory's contents may follow; they are not read). Symlinks are not followed.
	// A missing path gives an error matching fs.ErrNotExist.
	ReadPath(ctx context.Context, path string) (io.ReadCloser, error)
	// ReadBasePath does the same in the image the container was created from (the builder).
	ReadBasePath(ctx context.Context, path string) (io.ReadCloser, error)
}

// FromChanges computes the delta of a finished container through a ChangeSource: it reads the
// change list, then only the paths that pass the filters (and their parents). Modified entries
// are compared with the builder's; contents are spooled (see WithTempDir). Hard links are not
// visible through single-path streams, so each name is shipped as a regular file.
func FromChanges(ctx context.Context, src ChangeSource, opts ...Option) (*Tree, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	changes, err := src.Changes(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing container changes: %w", err)
	}
	sp, err := newSpool(o.tempDir)
	if err != nil {
		return nil, err
	}
	rw := &remoteWalk{o: o, r: newRules(o, true, true), src: src, sp: sp, kept: map[string]Entry{}, dirs: map[string]Entry{}}
	t, err := rw.run(ctx, changes)
	if err != nil {
		sp.close()
		return nil, err
	}
	return t, nil
}

type remoteWalk struct {
	o       *options
	r       rules
	src     ChangeSource
	sp      *spool
	kept    map[string]Entry
	dirs    map[string]Entry
	removed []string
}

func (rw *remoteWalk) run(ctx context.Context, changes []Change) (*Tree, error) {
	slices.SortFunc(changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	for i, ch := range changes {
		p, err := absPath(ch.Path)
		if err != nil {
			return nil, fmt.Errorf("reading change list: %w", err)
		}
		if p == "/" || !rw.r.keep(p, p) {
			continue
		}
		switch ch.Kind {
		case ChangeDelete:
			if !rw.o.addedOnly {
				rw.removed = append(rw.removed, p)
			}
		case ChangeAdd:
			e, err := rw.readContainer(ctx, p)
			if err != nil {
				return nil, err
			}
			rw.kept[p] = e
		case ChangeModify:
			if rw.o.addedOnly {
				continue
			}
			if err := rw.modified(ctx, p); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("reading change list: %s has unknown kind %d", p, ch.Kind)
		}
		rw.o.report(StageScan, int64(i+1), int64(len(changes)))
	}
	rw.o.logger.Debug("remote delta", "changes", len(changes), "kept", len(rw.kept), "removed", len(rw.removed))
	return finish(ctx, rw.kept, rw.removed, rw.parent, rw.sp)
}

// readContainer reads p from the container with its content spooled.
func (rw *remoteWalk) readContainer(ctx context.Context, p string) (Entry, error) {
	s, err := openPath(ctx, rw.src.ReadPath, p)
	if err != nil {
		return Entry{}, fmt.Errorf("reading %s from the container: %w", p, err)
	}
	defer s.Close()
	e := s.entry
	switch e.Type {
	case tar.TypeReg:
		c, err := rw.sp.add(s.body)
		if err != nil {
			return Entry{}, fmt.Errorf("reading %s from the container: %w", p, err)
		}
		if c.n != e.Size {
			return Entry{}, fmt.Errorf("reading %s from the container: got %d bytes, header says %d", p, c.n, e.Size)
		}
		e.content = c
	case tar.TypeDir:
		rw.dirs[p] = e
	}
	return e, nil
}

// modified ships p when it differs from the builder's p by more than its mtime.
func (rw *remoteWalk) modified(ctx context.Context, p string) error {
	mark := rw.sp.size
	e, err := rw.readContainer(ctx, p)
	if err != nil {
		return err
	}
	same, err := rw.sameAsBase(ctx, e)
	if err != nil {
		return err
	}
	if !same {
		rw.kept[p] = e
		return nil
	}
	return rw.sp.rewind(mark) // the spooled content is not needed
}

// sameAsBase compares a container entry with the builder's entry at the same path.
func (rw *remoteWalk) sameAsBase(ctx context.Context, e Entry) (bool, error) {
	b, err := openPath(ctx, rw.src.ReadBasePath, e.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // reported as modified, but the builder does not have it: it is new
	}
	if err != nil {
		return false, fmt.Errorf("reading %s from the builder: %w", e.Path, err)
	}
	defer b.Close()
	if !sameAttrs(e, b.entry) {
		return false, nil
	}
	if e.Type != tar.TypeReg || e.Size == 0 {
		return true, nil
	}
	rc, err := e.Open(ctx)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	same, err := sameBytes(rc, b.body)
	if err != nil {
		return false, fmt.Errorf("comparing %s with the builder: %w", e.Path, err)
	}
	return same, nil
}

// parent returns the attributes of directory p as the container has it.
func (rw *remoteWalk) parent(ctx context.Context, p string) (Entry, error) {
	if e, ok := rw.dirs[p]; ok {
		return e, nil
	}
	s, err := openPath(ctx, rw.src.ReadPath, p)
	if err != nil {
		return Entry{}, fmt.Errorf("reading %s from the container: %w", p, err)
	}
	s.Close() // only the directory's own header is needed
	rw.dirs[p] = s.entry
	return s.entry, nil
}

// pathStream is a single-path tar stream positioned at the content of its first entry.
type pathStream struct {
	entry Entry
	body  io.Reader
	rc    io.ReadCloser
}

func (s *pathStream) Close() error { return s.rc.Close() }

func openPath(ctx context.Context, read func(context.Context, string) (io.ReadCloser, error), p string) (*pathStream, error) {
	rc, err := read(ctx, p)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	if err == nil && path.Base(path.Clean("/"+hdr.Name)) != path.Base(p) {
		err = fmt.Errorf("stream starts with %q", hdr.Name)
	}
	if err == io.EOF {
		err = errors.New("empty stream")
	}
	var e Entry
	if err == nil {
		e, err = entryFromHeader(p, hdr)
	}
	if err != nil {
		rc.Close()
		return nil, err
	}
	return &pathStream{entry: e, body: tr, rc: rc}, nil
}
