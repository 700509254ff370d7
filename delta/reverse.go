package delta

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
)

// ErrBaseUnknown is a question about the base that a ReverseDiff cannot answer: a path neither
// the reverse diff nor the layer holds, or an opaque directory's listing. The caller reads the
// layer again against the whole base.
var ErrBaseUnknown = errors.New("the reverse diff does not tell this part of the base")

// ReverseDiff is the Base of a layer known only through the reverse diff: a layer tar that
// turns the layer's result back into the base it was made on (BuildKit's llb.Diff(package,
// builder), which the daemon computes without sending either file system). A path the reverse
// diff holds is that entry in the base; one it whites out, or whose directory it whites out, is
// not in the base; any other path is the same in the base as in the layer's result, which
// FromLayer tells it (a path the layer holds): it serves one FromLayer call. Close frees the
// spooled contents.
type ReverseDiff struct {
	entries   map[string]Entry
	whiteouts map[string]bool
	opaque    map[string]bool
	layer     *layerRead // the layer read against it, set by FromLayer
	sp        *spool
}

// ReadReverseDiff reads a reverse diff (plain, gzip or zstd), spooling its regular files in
// tempDir ("" for the system's).
func ReadReverseDiff(ctx context.Context, r io.Reader, tempDir string) (*ReverseDiff, error) {
	plain, closeFn, err := decompressedLayer(r)
	if err != nil {
		return nil, fmt.Errorf("reading the reverse diff: %w", err)
	}
	defer closeFn()
	sp, err := newSpool(tempDir)
	if err != nil {
		return nil, err
	}
	d := &ReverseDiff{entries: map[string]Entry{}, whiteouts: map[string]bool{}, opaque: map[string]bool{}, sp: sp}
	err = readLayer(ctx, tar.NewReader(plain), sp, layerVisitor{
		opaque:   func(dir string) { d.opaque[dir] = true },
		whiteout: func(p string) { d.whiteouts[p] = true },
		entry:    func(e Entry) { d.entries[e.Path] = e },
	})
	if err != nil {
		sp.close()
		return nil, fmt.Errorf("reading the reverse diff: %w", err)
	}
	return d, nil
}

// Close frees the spooled contents.
func (d *ReverseDiff) Close() error { return d.sp.close() }

// Lookup returns the base's entry at p (see ReverseDiff).
func (d *ReverseDiff) Lookup(_ context.Context, p string) (*Entry, error) {
	if e, ok := d.entries[p]; ok {
		return &e, nil
	}
	for q := p; q != "/"; q = path.Dir(q) {
		if d.whiteouts[q] {
			return nil, nil
		}
		if q != p && d.opaque[q] {
			return nil, nil // an opaque directory of the reverse diff holds all the base has there
		}
		if q != p {
			if e, ok := d.entries[q]; ok && e.Type != tar.TypeDir {
				return nil, nil // the base has a file where p's directory would be
			}
		}
	}
	// Not in the reverse diff: the base has p as the result has it.
	if d.layer != nil {
		if e, ok := d.layer.entries[p]; ok {
			return &e, nil
		}
		if d.layer.gone(p) {
			return nil, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", p, ErrBaseUnknown)
}

// ReadDir lists directory p of the base where the reverse diff and the layer tell it whole: a
// directory the reverse diff makes opaque, or one the layer makes opaque (the result holds only
// the layer's children there).
func (d *ReverseDiff) ReadDir(ctx context.Context, p string) ([]string, error) {
	e, err := d.Lookup(ctx, p)
	if err != nil {
		return nil, err
	}
	if e == nil || e.Type != tar.TypeDir {
		return nil, nil
	}
	names := map[string]bool{}
	for q := range d.entries {
		if path.Dir(q) == p {
			names[path.Base(q)] = true
		}
	}
	switch {
	case d.opaque[p]:
	case d.layer != nil && slices.Contains(d.layer.opaque, p):
		for q := range d.layer.entries {
			if path.Dir(q) == p && !d.whiteouts[q] {
				names[path.Base(q)] = true
			}
		}
	default:
		return nil, fmt.Errorf("listing %s: %w", p, ErrBaseUnknown)
	}
	return slices.Sorted(maps.Keys(names)), nil
}
