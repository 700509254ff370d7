package delta

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"syscall"
)

// Extended attributes this package reads. Only security.capability is ever shipped.
const xattrCapability = "security.capability"

var (
	opaqueXattrs = []string{"trusted.overlay.opaque", "user.overlay.opaque"}
	// Features whose data lives outside the entry's own path.
	unsupportedXattrs = []string{
		"trusted.overlay.redirect", "user.overlay.redirect",
		"trusted.overlay.metacopy", "user.overlay.metacopy",
	}
)

func isOpaque(x map[string][]byte) bool {
	for _, k := range opaqueXattrs {
		if string(x[k]) == "y" {
			return true
		}
	}
	return false
}

// isWhiteout reports whether fi is an overlay whiteout: a character device 0/0.
func isWhiteout(fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return false
	}
	st, ok := statOf(fi)
	return ok && st.rdev == 0
}

// notThere reports whether err from Lstat means the path does not exist in that layer.
func notThere(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// layers is the merged view of an overlay's lower directories (top first). It answers lookups
// of single paths without ever walking a layer: the cost grows with the number of paths asked
// about, not with the size of the layers.
type layers struct {
	dirs    []string
	blocked map[layerDir]bool
}

type layerDir struct {
	layer int
	dir   string
}

func newLayers(dirs []string) *layers {
	return &layers{dirs: dirs, blocked: map[layerDir]bool{}}
}

// found is an entry of the merged lower view: its host path and lstat result.
type found struct {
	host string
	info fs.FileInfo
}

// lookup finds p in the merged lower view; nil when p does not exist there.
func (l *layers) lookup(p string) (*found, error) {
	for i, d := range l.dirs {
		host := filepath.Join(d, p)
		fi, err := os.Lstat(host)
		if err == nil {
			if isWhiteout(fi) {
				return nil, nil
			}
			return &found{host: host, info: fi}, nil
		}
		if !notThere(err) {
			return nil, fmt.Errorf("looking up %s in lower layer %s: %w", p, d, err)
		}
		hides, err := l.hidesBelow(i, path.Dir(p))
		if err != nil || hides {
			return nil, err
		}
	}
	return nil, nil
}

// hidesBelow reports whether layer i hides the lower layers' entries under dir: dir or one of its
// ancestors is, in that layer, a whiteout, a non-directory or an opaque directory.
func (l *layers) hidesBelow(i int, dir string) (bool, error) {
	if dir == "/" {
		return false, nil
	}
	key := layerDir{i, dir}
	if v, ok := l.blocked[key]; ok {
		return v, nil
	}
	host := filepath.Join(l.dirs[i], dir)
	fi, err := os.Lstat(host)
	var hides bool
	switch {
	case err != nil && !notThere(err):
		return false, fmt.Errorf("looking up %s in lower layer %s: %w", dir, l.dirs[i], err)
	case err != nil:
		hides, err = l.hidesBelow(i, path.Dir(dir))
	case !fi.IsDir():
		hides = true
	default:
		var x map[string][]byte
		if x, err = readXattrs(host); err == nil {
			hides = isOpaque(x)
		}
		if err == nil && !hides {
			hides, err = l.hidesBelow(i, path.Dir(dir))
		}
	}
	if err != nil {
		return false, err
	}
	l.blocked[key] = hides
	return hides, nil
}

// readDir lists the names directory p holds in the merged lower view, sorted. It reads only p
// itself in each layer, so it costs what the directory holds, not what the layers hold.
func (l *layers) readDir(p string) ([]string, error) {
	decided := map[string]bool{}
	var names []string
	for i, d := range l.dirs {
		host := filepath.Join(d, p)
		fi, err := os.Lstat(host)
		if err != nil {
			if !notThere(err) {
				return nil, fmt.Errorf("listing %s in lower layer %s: %w", p, d, err)
			}
			hides, err := l.hidesBelow(i, path.Dir(p))
			if err != nil {
				return nil, err
			}
			if hides {
				break
			}
			continue
		}
		if !fi.IsDir() {
			break // a whiteout or a non-directory: nothing of p below this layer shows
		}
		ents, err := os.ReadDir(host)
		if err != nil {
			return nil, fmt.Errorf("listing %s in lower layer %s: %w", p, d, err)
		}
		for _, ent := range ents {
			name := ent.Name()
			if decided[name] {
				continue
			}
			decided[name] = true
			if ent.Type()&fs.ModeCharDevice != 0 {
				info, err := ent.Info()
				if err != nil {
					return nil, fmt.Errorf("listing %s in lower layer %s: %w", p, d, err)
				}
				if isWhiteout(info) {
					continue
				}
			}
			names = append(names, name)
		}
		x, err := readXattrs(host)
		if err != nil {
			return nil, err
		}
		if isOpaque(x) {
			break
		}
	}
	slices.Sort(names)
	return names, nil
}
