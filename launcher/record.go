package launcher

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/flavor-dev/flavor/packer"
)

// A launch record is what a fully verified run learned about a package, so that a warm start of
// the very same bytes can skip decompressing, parsing and signature-checking the metadata. It is
// stored under <cache>/workenv/.launch/ and named by the SHA-256 of the index block, the stored
// metadata and the slot table: every byte the header verification covers. Identical bytes mean
// identical, already verified metadata (the signature covers the JSON inside the metadata, and
// the index holds the metadata's SHA-256, the key and the signature). A record that is missing,
// stale or damaged only sends the launcher down the full path again, which rewrites it.
//
// The format is private to the launcher: a magic line, length-prefixed fields, and a trailing
// SHA-256 of everything before it.

const recordMagic = "flavor-launch-record-3\n"

// maxRecord bounds the size of a record the launcher reads: far more than any plan needs.
const maxRecord = 1 << 20

// launchRecord holds the verified facts and the plan of a package.
type launchRecord struct {
	level     packer.Level
	publicKey []byte
	digest    [32]byte // SHA-256 of the metadata JSON: names the workenv
	plan      *plan
}

func recordPath(cache string, key [32]byte) string {
	return filepath.Join(cache, "workenv", ".launch", hex.EncodeToString(key[:]))
}

type recWriter struct{ b []byte }

func (w *recWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *recWriter) bytes(b []byte) {
	w.uint(uint64(len(b)))
	w.b = append(w.b, b...)
}
func (w *recWriter) str(s string) { w.bytes([]byte(s)) }
func (w *recWriter) strs(ss []string) {
	w.uint(uint64(len(ss)))
	for _, s := range ss {
		w.str(s)
	}
}
func (w *recWriter) strMap(m map[string]string) {
	keys := sortedKeys(m)
	w.uint(uint64(len(keys)))
	for _, k := range keys {
		w.str(k)
		w.str(m[k])
	}
}

func (r *launchRecord) encode() []byte {
	p := r.plan
	w := &recWriter{b: []byte(recordMagic)}
	w.uint(uint64(r.level))
	w.bytes(r.publicKey)
	w.bytes(r.digest[:])
	w.str(p.name)
	w.str(p.version)
	w.str(p.exec.Command)
	w.strs(p.exec.Args)
	w.str(p.exec.Cwd)
	w.strMap(p.env())
	w.strs(p.exec.PathPrepend)
	w.strs(p.exec.PathAppend)
	w.strs(p.rules.Pass)
	w.strs(p.rules.Unset)
	w.strMap(p.rules.Map)
	w.strMap(p.rules.Set)
	w.uint(uint64(p.shutdown / time.Second))
	w.uint(uint64(len(p.slots)))
	for _, s := range p.slots {
		w.uint(uint64(s.pos))
		w.uint(uint64(s.num))
		w.str(s.id)
		w.str(s.target)
		w.uint(uint64(s.class))
		here := uint64(0)
		if s.here {
			here = 1
		}
		w.uint(here)
	}
	w.str(p.exec.Loader)
	w.strs(p.exec.LibraryPath)
	sum := sha256.Sum256(w.b)
	return append(w.b, sum[:]...)
}

var errRecord = errors.New("damaged launch record")

type recReader struct {
	b   []byte
	err error
}

func (r *recReader) uint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errRecord
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length and checks that at least that many bytes are left, so a damaged record
// cannot make the reader allocate much.
func (r *recReader) count() int {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.err = errRecord
		return 0
	}
	return int(n)
}

func (r *recReader) bytes() []byte {
	n := r.count()
	if r.err != nil {
		return nil
	}
	b := r.b[:n:n]
	r.b = r.b[n:]
	return b
}

func (r *recReader) str() string { return string(r.bytes()) }

func (r *recReader) strs() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		out = append(out, r.str())
	}
	return out
}

func (r *recReader) strMap() map[string]string {
	n := r.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for i := 0; i < n && r.err == nil; i++ {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

// decodeRecord parses a record, refusing anything damaged.
func decodeRecord(b []byte) (*launchRecord, error) {
	if len(b) < len(recordMagic)+sha256.Size || !bytes.HasPrefix(b, []byte(recordMagic)) {
		return nil, errRecord
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if s := sha256.Sum256(body); !bytes.Equal(s[:], sum) {
		return nil, errRecord
	}
	r := &recReader{b: body[len(recordMagic):]}
	rec := &launchRecord{plan: &plan{byNum: map[int]int{}}}
	p := rec.plan
	rec.level = packer.Level(r.uint())
	rec.publicKey = r.bytes()
	copy(rec.digest[:], r.bytes())
	p.name, p.version = r.str(), r.str()
	p.exec.Command = r.str()
	p.exec.Args = r.strs()
	p.exec.Cwd = r.str()
	p.exec.Env = r.strMap()
	p.exec.PathPrepend = r.strs()
	p.exec.PathAppend = r.strs()
	p.rules.Pass, p.rules.Unset = r.strs(), r.strs()
	p.rules.Map, p.rules.Set = r.strMap(), r.strMap()
	p.shutdown = time.Duration(r.uint()) * time.Second
	n := r.count()
	for i := 0; i < n && r.err == nil; i++ {
		s := slotPlan{pos: int(r.uint()), num: int(r.uint()), id: r.str(), target: r.str(), class: class(r.uint()), here: r.uint() == 1}
		p.byNum[s.num] = len(p.slots)
		p.slots = append(p.slots, s)
	}
	p.exec.Loader, p.exec.LibraryPath = r.str(), r.strs()
	if r.err != nil || len(r.b) != 0 || rec.level < packer.LevelStandard || rec.level > packer.LevelStrict || len(rec.publicKey) != 32 {
		return nil, errRecord
	}
	return rec, nil
}

// writeRecord stores a record under a temporary name and renames it into place. It is a cache:
// a failure to write it is not an error of the launch.
func writeRecord(path string, rec *launchRecord) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil || checkStateDir(filepath.Dir(path)) != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return
	}
	_, err = tmp.Write(rec.encode())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
}
