package launcher

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"path/filepath"

	"github.com/flavor-dev/flavor/packer"
)

// headerKey reads the index, the stored metadata and the slot table of the package at path (never
// the launcher or slot bytes) and returns the SHA-256 of the three, which names its launch record.
// ok is false when the file does not even frame an index; the full path then says why. It costs
// an open, an fstat, two or three preads and a close.
func headerKey(path string) (key [32]byte, ok bool) {
	f, err := openRaw(path)
	if err != nil {
		return key, false
	}
	defer f.close()
	n, err := f.size()
	if err != nil || n < packer.TrailerSize {
		return key, false
	}
	size := uint64(n)
	body := size - packer.TrailerSize
	trailer := make([]byte, packer.TrailerSize)
	if f.readAt(trailer, int64(body)) != nil {
		return key, false
	}
	if !bytes.Equal(trailer[:4], packer.MagicStart[:]) || !bytes.Equal(trailer[packer.TrailerSize-4:], packer.MagicEnd[:]) {
		return key, false
	}
	ix := trailer[4 : 4+packer.IndexSize]
	le := binary.LittleEndian
	mOff, mSize, tOff, tSize := le.Uint64(ix[24:]), le.Uint64(ix[32:]), le.Uint64(ix[40:]), le.Uint64(ix[48:])
	in := func(off, n uint64) bool { return off <= body && n <= body-off && n <= 4<<20 }
	if le.Uint64(ix[8:]) != size || !in(mOff, mSize) || !in(tOff, tSize) {
		return key, false
	}
	h := sha256.New()
	h.Write(ix)
	// Our writer puts the table a few bytes after the metadata: one read takes both.
	if lo, hi := min(mOff, tOff), max(mOff+mSize, tOff+tSize); hi-lo <= mSize+tSize+4096 {
		span := make([]byte, hi-lo)
		if f.readAt(span, int64(lo)) != nil {
			return key, false
		}
		h.Write(span[mOff-lo : mOff-lo+mSize])
		h.Write(span[tOff-lo : tOff-lo+tSize])
	} else {
		for _, r := range [][2]uint64{{mOff, mSize}, {tOff, tSize}} {
			b := make([]byte, r[1])
			if f.readAt(b, int64(r[0])) != nil {
				return key, false
			}
			h.Write(b)
		}
	}
	h.Sum(key[:0])
	return key, true
}

// readSmall reads a whole file of at most limit bytes (a launch record, a marker) with rawFile.
func readSmall(path string, limit int64) ([]byte, error) {
	f, err := openRaw(path)
	if err != nil {
		return nil, err
	}
	defer f.close()
	n, err := f.size()
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("reading %s: %d bytes, expected at most %d", path, n, limit)
	}
	b := make([]byte, n)
	return b, f.readAt(b, 0)
}

// tryFast sets up the launch from a launch record when the package's header bytes are exactly
// those of a package a previous run fully verified at this level or above, and the trust settings
// accept its key. It reads no metadata JSON and checks no signature (both were checked when the
// record was written).
func (l *launch) tryFast() bool {
	if l.cfg.fresh {
		return false
	}
	key, ok := headerKey(l.o.pkg)
	if !ok {
		return false
	}
	l.key, l.haveKey = key, true
	// A record decides what runs: only one in the launcher's own directories counts.
	rp := recordPath(l.cfg.cache, key)
	if checkStateDir(filepath.Dir(filepath.Dir(rp))) != nil || checkStateDir(filepath.Dir(rp)) != nil {
		return false
	}
	b, err := readSmall(rp, maxRecord)
	if err != nil {
		return false
	}
	rec, err := decodeRecord(b)
	if err != nil || rec.level < l.cfg.level {
		return false
	}
	if l.cfg.trustSet && !trusted(l.cfg.trusted, rec.publicKey) {
		return false
	}
	l.plan = rec.plan
	l.lay = newLayout(l.cfg.cache, rec.plan.name, rec.digest)
	return true
}

func trusted(keys []ed25519.PublicKey, k []byte) bool {
	for _, t := range keys {
		if bytes.Equal(t, k) {
			return true
		}
	}
	return false
}

// remember writes the launch record after a full, warning-free verification at standard level
// or above, once the tree is complete. A package with fresh-each-run slots gets none: every run
// extracts, so every run takes the full path anyway.
func (l *launch) remember() {
	if !l.haveKey || l.pkg == nil || len(l.pkg.Warnings()) > 0 || l.cfg.level < packer.LevelStandard || len(l.freshSlots()) > 0 {
		return
	}
	// The key was computed before packer read the file: only if the header bytes are still the
	// same do they name what was verified.
	if key, ok := headerKey(l.o.pkg); !ok || key != l.key {
		return
	}
	rec := &launchRecord{level: l.cfg.level, publicKey: l.pkg.PublicKey(), digest: sha256.Sum256(l.pkg.Metadata().JSON()), plan: l.plan}
	writeRecord(recordPath(l.cfg.cache, l.key), rec)
}
