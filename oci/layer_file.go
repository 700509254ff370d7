package oci

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
)

// fileLayer is a v1.Layer whose bytes are in a file on disk, with its digests computed while the
// file was written (so neither is ever recomputed by re-reading or re-compressing it). When gzipped
// is set the file holds the gzip-compressed layer; otherwise the blob is stored as is and its
// DiffID equals its Digest (artifact blobs).
type fileLayer struct {
	path    string
	digest  v1.Hash
	diffID  v1.Hash
	size    int64
	media   types.MediaType
	gzipped bool
}

var _ v1.Layer = (*fileLayer)(nil)

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *fileLayer) Size() (int64, error)                { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return l.media, nil }

func (l *fileLayer) Compressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("opening layer %s: %w", l.digest, err)
	}
	return f, nil
}

func (l *fileLayer) Uncompressed() (io.ReadCloser, error) {
	f, err := l.Compressed()
	if err != nil || !l.gzipped {
		return f, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("decompressing layer %s: %w", l.digest, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

// hashingWriter counts and hashes what passes through it to w.
type hashingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func newHashingWriter(w io.Writer) *hashingWriter { return &hashingWriter{w: w, h: sha256.New()} }

func (hw *hashingWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

func (hw *hashingWriter) sum() v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", hw.h.Sum(nil))}
}

// newFileBlob makes a layer of the file at path as it is (not compressed by us), hashing it once.
func newFileBlob(path string, media types.MediaType) (*fileLayer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	hw := newHashingWriter(io.Discard)
	if _, err := io.Copy(hw, f); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	d := hw.sum()
	return &fileLayer{path: path, digest: d, diffID: d, size: hw.n, media: media}, nil
}
