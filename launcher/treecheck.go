package launcher

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// The tree record (<side>/tree) lists every entry of a workenv as extraction left it, with what
// lstat says of it: kind, mode, and for files and links size, modification time, change time and
// inode. Any write, chmod, replacement or removal changes one of these (the change time cannot be
// set back by an unprivileged user), so comparing them finds an edited or partly deleted tree
// without reading file contents. Entries added later are ignored (programs may write caches into
// their workenv); directories are compared by kind and mode only (adding a file changes a
// directory's times), and the workenv.directories the package declares for its own writes are not
// recorded at all.
//
// At FLAVOR_VALIDATION=strict every start compares the tree with its record (one lstat per entry)
// and extracts it again when they differ. At the other levels a start costs nothing more: the
// record is read only when the command or its loader is missing from the tree.

func (l layout) treeRecordPath() string { return filepath.Join(l.side, "tree") }

// treeFact is one entry of the record.
type treeFact struct {
	kind               byte // 'd' directory, 'f' file, 'l' symbolic link
	mode               fs.FileMode
	size, mtime, ctime int64
	ino                uint64
}

func factOf(fi fs.FileInfo) treeFact {
	f := treeFact{kind: 'f', mode: fi.Mode().Perm() | fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)}
	switch {
	case fi.IsDir():
		f.kind = 'd'
		return f
	case fi.Mode()&fs.ModeSymlink != 0:
		f.kind = 'l'
	}
	f.size, f.mtime = fi.Size(), fi.ModTime().UnixNano()
	f.ctime, f.ino = changeFacts(fi)
	return f
}

// appendTo appends the facts as the record holds them: "f 644 size mtime ctime ino" (mode in
// octal), without fmt: strict compares every entry on every start.
func (f treeFact) appendTo(b []byte) []byte {
	b = append(b, f.kind, ' ')
	b = strconv.AppendUint(b, uint64(f.mode), 8)
	for _, n := range []int64{f.size, f.mtime, f.ctime} {
		b = strconv.AppendInt(append(b, ' '), n, 10)
	}
	return strconv.AppendUint(append(b, ' '), f.ino, 10)
}

// recordTree writes the tree record of the workenv, skipping the directories in skip (absolute):
// the metadata digest on the first line, then one "facts\x00path\x00" record per entry (a path
// holds any byte but NUL), in lexical depth-first order.
func (l layout) recordTree(skip []string) error {
	rels := map[string]bool{}
	for _, s := range skip {
		if rel, err := filepath.Rel(l.workenv, s); err == nil && rel != "." && filepath.IsLocal(rel) {
			rels[filepath.ToSlash(rel)] = true
		}
	}
	b, err := walkFacts([]byte(l.digest+"\n"), l.workenv, rels)
	if err != nil {
		return err
	}
	return writeMarker(l.treeRecordPath(), string(b))
}

// appendFact appends one entry's record.
func appendFact(b []byte, f treeFact, rel string) []byte {
	return append(append(append(f.appendTo(b), 0), rel...), 0)
}

// walkFactsPortable appends the records of every entry under root but those whose relative,
// slash-separated path skip holds (nor what is below them), with filepath.WalkDir and lstat by
// path. It is walkFacts where there is no faster one, and what the faster one is tested against.
func walkFactsPortable(b []byte, root string, skip map[string]bool) ([]byte, error) {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); skip[rel] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b = appendFact(b, factOf(fi), rel)
		return nil
	})
	return b, err
}

// errNoTreeRecord means the workenv has no usable tree record (an older launcher extracted it,
// or the record was damaged): nothing tells an intact tree from an edited one.
var errNoTreeRecord = errors.New("the workenv has no record of its extracted files")

// treeChange compares the workenv with its record and returns "" when every recorded entry is as
// extraction left it, or what differs: the first changed entry and how many changed.
func (l layout) treeChange() string {
	b, err := readSmall(l.treeRecordPath(), 256<<20)
	if err != nil || !bytes.HasPrefix(b, []byte(l.digest+"\n")) || !bytes.HasSuffix(b, []byte{0}) {
		return errNoTreeRecord.Error()
	}
	f := bytes.Split(b[len(l.digest)+1:len(b)-1], []byte{0})
	if len(f)%2 != 0 {
		return errNoTreeRecord.Error()
	}
	rels := make([]string, len(f)/2)
	for i := range rels {
		rels[i] = string(f[2*i+1])
	}
	now := make([]treeFact, len(rels))
	lstatFacts(l.workenv, rels, now)
	first, n := "", 0
	var facts []byte
	for i, rel := range rels {
		what := ""
		if now[i].kind == 0 {
			what = "missing"
		} else if facts = now[i].appendTo(facts[:0]); !bytes.Equal(facts, f[2*i]) { // a directory's facts are its kind and mode
			what = "changed"
		}
		if what != "" {
			if n == 0 {
				first = rel + " " + what
			}
			n++
		}
	}
	switch n {
	case 0:
		return ""
	case 1:
		return first
	}
	return fmt.Sprintf("%s, and %d more entries", first, n-1)
}

// lstatFactsPortable sets out[i] to the facts of root/rels[i] (slash-separated), or leaves it
// zero (kind 0) when lstat fails, with one lstat by path each. It is lstatFacts where there is no
// faster one, and what the faster one is tested against.
func lstatFactsPortable(root string, rels []string, out []treeFact) {
	for i, rel := range rels {
		if fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel))); err == nil {
			out[i] = factOf(fi)
		}
	}
}
