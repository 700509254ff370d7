package delta

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// Entry is one entry of a file tree: an absolute path and its attributes. A regular file's
// content is read with Open.
type Entry struct {
	Path     string            // absolute and clean: "/usr/bin/x"
	Type     byte              // tar.TypeReg, TypeDir, TypeSymlink, TypeLink, TypeChar, TypeBlock or TypeFifo
	Mode     int64             // permission bits with setuid, setgid and sticky (at most 07777)
	UID      int               // numeric owner
	GID      int               // numeric group
	Size     int64             // content length of a regular file; 0 otherwise
	Linkname string            // symlink target; for TypeLink the Path of the entry holding the content
	Devmajor int64             // device numbers of TypeChar and TypeBlock
	Devminor int64             //
	ModTime  time.Time         // as found; the artifact writer clamps it
	Xattrs   map[string]string // extended attributes carried: only security.capability

	content content // where a regular file's bytes are
	inode   string  // identity shared by hard links; "" when the entry has one name
}

// content is where the bytes of a regular file can be read from.
type content interface {
	open(ctx context.Context) (io.ReadCloser, error)
}

// Open returns the content of a regular file or of a hard link; other entries have none.
func (e Entry) Open(ctx context.Context) (io.ReadCloser, error) {
	if e.Type != tar.TypeReg && e.Type != tar.TypeLink {
		return nil, fmt.Errorf("opening %s: not a regular file", e.Path)
	}
	if e.content == nil {
		return io.NopCloser(strings.NewReader("")), nil
	}
	rc, err := e.content.open(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", e.Path, err)
	}
	return rc, nil
}

// Tree is the result of a delta: the entries to ship, sorted by path (parents before children),
// and the paths the build removed. Close it when done to release its spool.
type Tree struct {
	entries []Entry
	removed []string
	spool   *spool
}

// Entries returns the entries to ship, sorted by path.
func (t *Tree) Entries() []Entry { return slices.Clone(t.entries) }

// Removed returns the absolute paths the build deleted, sorted; a path covers everything under
// it, so no path is listed under another.
func (t *Tree) Removed() []string { return slices.Clone(t.removed) }

// Files returns the path of every non-directory entry, without the leading "/", sorted: the
// artifact metadata's `files` list.
func (t *Tree) Files() []string {
	var files []string
	for _, e := range t.entries {
		if e.Type != tar.TypeDir {
			files = append(files, strings.TrimPrefix(e.Path, "/"))
		}
	}
	return files
}

// Close releases the spool holding file contents read from streams. Entries of a closed tree
// can no longer be opened.
func (t *Tree) Close() error {
	if t.spool == nil {
		return nil
	}
	err := t.spool.close()
	t.spool = nil
	return err
}

// parentFunc returns the real attributes of directory p, for parents of shipped entries.
type parentFunc func(ctx context.Context, p string) (Entry, error)

// finish turns the kept entries into a Tree: it adds the parents of every kept entry with their
// real attributes, turns shared inodes into hard links within the shipped set, and normalises
// the removed list.
func finish(ctx context.Context, kept map[string]Entry, removed []string, parent parentFunc, sp *spool) (*Tree, error) {
	for _, p := range slices.Sorted(maps.Keys(kept)) {
		for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
			if _, ok := kept[dir]; ok {
				break // its own parents were added when it was
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			e, err := parent(ctx, dir)
			if err != nil {
				return nil, fmt.Errorf("reading parent %s of %s: %w", dir, p, err)
			}
			if e.Type != tar.TypeDir {
				return nil, fmt.Errorf("reading parent %s of %s: not a directory", dir, p)
			}
			kept[dir] = e
		}
	}
	entries := slices.SortedFunc(maps.Values(kept), func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	linkHardlinks(entries)
	return &Tree{entries: entries, removed: normaliseRemoved(removed, kept), spool: sp}, nil
}

// linkHardlinks makes the first shipped name of each shared inode the regular file and the others
// hard links to it. A name whose inode has no other shipped name stays a regular file.
func linkHardlinks(entries []Entry) {
	holder := map[string]string{}
	for i := range entries {
		e := &entries[i]
		if e.inode == "" || (e.Type != tar.TypeReg && e.Type != tar.TypeLink) {
			continue
		}
		if h, ok := holder[e.inode]; ok {
			e.Type, e.Linkname, e.Size = tar.TypeLink, h, 0
			continue
		}
		holder[e.inode] = e.Path
		if e.Type == tar.TypeLink {
			e.Type, e.Linkname = tar.TypeReg, ""
		}
	}
}

// normaliseRemoved sorts and deduplicates removed paths, dropping any path under another removed
// path and any path that is shipped.
func normaliseRemoved(removed []string, kept map[string]Entry) []string {
	var out []string
	gone := map[string]bool{}
	for _, p := range slices.Compact(slices.Sorted(slices.Values(removed))) {
		if _, ok := kept[p]; ok || underAny(p, gone) {
			continue
		}
		gone[p] = true
		out = append(out, p)
	}
	return out
}

// underAny reports whether a proper ancestor of p is in set.
func underAny(p string, set map[string]bool) bool {
	for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
		if set[dir] {
			return true
		}
	}
	return false
}
