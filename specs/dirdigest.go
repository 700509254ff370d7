package specs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// DigestDir returns a content digest of the directory tree at dir, "sha256:<hex>": for every
// entry below dir, in path order, its relative path, type, permission bits (with setuid, setgid
// and sticky), symlink target and, for regular files, the digest of its bytes. Modification
// times, owners and the order files were created in do not count. Symbolic links are not
// followed. skip, if not nil, leaves out entries (by slash-separated relative path); a skipped
// directory is left out whole.
func DigestDir(ctx context.Context, dir string, skip func(rel string) bool) (string, error) {
	h := sha256.New()
	field(h, []byte("flavor-dir-digest/v1"))
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := info.Mode()
		field(h, []byte(rel))
		field(h, []byte{typeByte(mode)})
		count(h, int(mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)))
		switch {
		case mode&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			field(h, []byte(target))
		case mode.IsRegular():
			sum, err := fileDigest(path)
			if err != nil {
				return err
			}
			field(h, sum)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("digesting directory %s: %w", dir, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func typeByte(m fs.FileMode) byte {
	switch {
	case m.IsDir():
		return 'd'
	case m&fs.ModeSymlink != 0:
		return 'l'
	case m.IsRegular():
		return 'f'
	case m&fs.ModeNamedPipe != 0:
		return 'p'
	case m&fs.ModeSocket != 0:
		return 's'
	case m&fs.ModeCharDevice != 0:
		return 'c'
	case m&fs.ModeDevice != 0:
		return 'b'
	}
	return '?'
}

func fileDigest(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// ContextExcludes lists the files of the package directory that are not part of the package's
// build inputs: for a collection member, collection.yaml (its own entry is hashed through
// Canonical instead, so editing another member does not rebuild it, Luet issue #287). The build
// context should leave them out too.
func (p *Package) ContextExcludes() []string {
	if p.Collection {
		return []string{collectionFile}
	}
	return nil
}

// DirDigest returns the content digest of the package directory (see DigestDir), without the
// files ContextExcludes names.
func (p *Package) DirDigest(ctx context.Context) (string, error) {
	ex := p.ContextExcludes()
	return DigestDir(ctx, p.Dir, func(rel string) bool {
		for _, e := range ex {
			if rel == e {
				return true
			}
		}
		return false
	})
}
