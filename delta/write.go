package delta

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
)

// encoders holds zstd encoders for reuse: making one costs ~2 MB of tables, more than writing a
// small artifact. One goroutine, no dictionary, a fixed level: the output depends on the input
// alone, and Reset starts an independent stream.
var encoders = sync.Pool{New: func() any {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderCRC(true),
		zstd.WithZeroFrames(true),
	)
	if err != nil {
		return err
	}
	return enc
}}

// Artifact describes a written artifact for its metadata file.
type Artifact struct {
	SHA256  string   // hex digest of the bytes written (compressed)
	Size    int64    // bytes written
	Files   []string // every non-directory entry, without the leading "/"
	Removed []string // paths the build deleted, without the leading "/"
}

// WriteArtifact writes the tree as a zstd-compressed deterministic tar (`.package.tar.zst`) and
// returns its digest, size and lists. The same tree gives the same bytes, whatever order or
// times its files were made in.
func (t *Tree) WriteArtifact(ctx context.Context, w io.Writer, opts ...Option) (Artifact, error) {
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(w, h)}
	v := encoders.Get()
	enc, ok := v.(*zstd.Encoder)
	if !ok {
		return Artifact{}, fmt.Errorf("writing artifact: making zstd encoder: %v", v)
	}
	enc.Reset(cw)
	if err := t.WriteTar(ctx, enc, opts...); err != nil {
		return Artifact{}, err // the encoder is dropped, not reused
	}
	if err := enc.Close(); err != nil {
		return Artifact{}, fmt.Errorf("writing artifact: %w", err)
	}
	enc.Reset(nil)
	encoders.Put(enc)
	removed := make([]string, len(t.removed))
	for i, p := range t.removed {
		removed[i] = strings.TrimPrefix(p, "/")
	}
	return Artifact{SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n, Files: t.Files(), Removed: removed}, nil
}

// WriteTar writes the tree as a deterministic, uncompressed tar: names relative without a
// leading "/" or "./", directories ending in "/", sorted so parents come before children, mtimes
// clamped (WithSourceDateEpoch, else 0), no user or group names, no access or change times,
// xattrs as sorted PAX records.
func (t *Tree) WriteTar(ctx context.Context, w io.Writer, opts ...Option) error {
	o, err := makeOptions(opts)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	total := int64(len(t.entries))
	for i, e := range t.entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeEntry(ctx, tw, e, o.epoch); err != nil {
			return fmt.Errorf("writing %s to the artifact: %w", e.Path, err)
		}
		o.report(StageWrite, int64(i+1), total)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("writing artifact: %w", err)
	}
	return nil
}

func writeEntry(ctx context.Context, tw *tar.Writer, e Entry, epoch *time.Time) error {
	hdr := header(e, epoch)
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if e.Type != tar.TypeReg || e.Size == 0 {
		return nil
	}
	rc, err := e.Open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(tw, io.LimitReader(rc, e.Size+1))
	if err != nil {
		return err
	}
	if n != e.Size {
		return fmt.Errorf("content is %d bytes, expected %d (changed while reading?)", n, e.Size)
	}
	return nil
}

// header is the deterministic tar header of e.
func header(e Entry, epoch *time.Time) *tar.Header {
	name := strings.TrimPrefix(e.Path, "/")
	if e.Type == tar.TypeDir {
		name += "/"
	}
	mtime := time.Unix(0, 0)
	if epoch != nil {
		mtime = e.ModTime.Truncate(time.Second)
		if mtime.After(*epoch) {
			mtime = *epoch
		}
	}
	hdr := &tar.Header{
		Typeflag: e.Type, Name: name, Mode: e.Mode, Uid: e.UID, Gid: e.GID, ModTime: mtime,
	}
	switch e.Type {
	case tar.TypeReg:
		hdr.Size = e.Size
	case tar.TypeSymlink:
		hdr.Linkname = e.Linkname
	case tar.TypeLink:
		hdr.Linkname = strings.TrimPrefix(e.Linkname, "/")
	case tar.TypeChar, tar.TypeBlock:
		hdr.Devmajor, hdr.Devminor = e.Devmajor, e.Devminor
	}
	if len(e.Xattrs) > 0 {
		// archive/tar writes PAX records sorted by key.
		hdr.PAXRecords = make(map[string]string, len(e.Xattrs))
		for k, v := range e.Xattrs {
			hdr.PAXRecords[paxXattr+k] = v
		}
		hdr.Format = tar.FormatPAX
	}
	return hdr
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
