package packer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// TarDir writes a deterministic tar of the tree at dir to w: entries in depth-first order with
// each directory's names sorted (GNU tar --sort=name), a directory before its content, names
// relative to dir without a "./" prefix, mtimes clamped to the source date epoch (see
// WithSourceDateEpoch; 0 when there is none), owners 0/0 with empty names, modes kept
// (suid/sgid/sticky too), symlinks kept, files sharing an inode after the first as hard links, and
// PAX records only for headers USTAR cannot hold. Devices, fifos and sockets are an error naming
// the path. It returns the number of bytes written.
func TarDir(ctx context.Context, w io.Writer, dir string, opts ...Option) (int64, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return 0, err
	}
	epoch, err := o.sourceDateEpoch()
	if err != nil {
		return 0, err
	}
	cw := &countWriter{w: w}
	err = writeTar(ctx, cw, dir, epoch)
	return cw.n, err
}

// writeTar is TarDir without option handling. A nil epoch clamps every mtime to 0.
func writeTar(ctx context.Context, w io.Writer, dir string, epoch *time.Time) error {
	return writeTarWith(ctx, w, dir, epoch, nil)
}

// writeTarRule is writeTar for a slot: every entry goes through the slot rule, absolute links
// rewritten (see slotRule).
func writeTarRule(ctx context.Context, w io.Writer, dir string, epoch *time.Time, treeRoot string) error {
	rule, err := newSlotRule(treeRoot)
	if err != nil {
		return err
	}
	return writeTarWith(ctx, w, dir, epoch, rule)
}

func writeTarWith(ctx context.Context, w io.Writer, dir string, epoch *time.Time, rule *slotRule) error {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("packing directory %s: %w", dir, err)
	}
	if st, err := os.Stat(root); err != nil {
		return fmt.Errorf("packing directory %s: %w", dir, err)
	} else if !st.IsDir() {
		return fmt.Errorf("packing directory %s: not a directory: %w", dir, ErrInvalidInput)
	}
	clamp := time.Unix(0, 0)
	if epoch != nil {
		clamp = *epoch
	}
	ts := &tarStream{w: w}
	seen := map[fileID]string{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tarHeader(filepath.ToSlash(rel), p, info, clamp, seen)
		if err != nil {
			return err
		}
		if rule != nil {
			if err := rule.header(hdr); err != nil {
				return err
			}
		}
		if err := ts.header(hdr); err != nil {
			return fmt.Errorf("writing tar header for %s: %w", p, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			return ts.file(p, hdr.Size)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("packing directory %s: %w", dir, err)
	}
	if rule != nil {
		if err := rule.finish(); err != nil {
			return fmt.Errorf("packing directory %s: %w", dir, err)
		}
	}
	if err := ts.close(); err != nil {
		return fmt.Errorf("packing directory %s: %w", dir, err)
	}
	return nil
}

// tarStream writes a tar archive the way archive/tar's Writer does, byte for byte, except that a
// file's content goes to w with ReadFrom when w has it: the zstd writer then reads the file
// straight into the chunk it compresses, with no copy through an intermediate buffer. Headers
// (with their PAX records) come from a tar.Writer made for each entry and dropped after it.
type tarStream struct {
	w   io.Writer
	hdr bytes.Buffer
	buf []byte // for writers without ReadFrom
}

func (t *tarStream) header(h *tar.Header) error {
	t.hdr.Reset()
	if err := tar.NewWriter(&t.hdr).WriteHeader(h); err != nil {
		return err
	}
	_, err := t.w.Write(t.hdr.Bytes())
	return err
}

// file writes exactly size bytes of the file at p and the zero padding to the next 512-byte
// block, and fails when the file changed size while being read.
func (t *tarStream) file(p string, size int64) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	src := io.LimitReader(f, size)
	var n int64
	if rf, ok := t.w.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		if t.buf == nil {
			t.buf = make([]byte, 1<<20)
		}
		n, err = io.CopyBuffer(t.w, src, t.buf)
	}
	if err != nil {
		return fmt.Errorf("copying %s: %w", p, err)
	}
	var one [1]byte
	if m, _ := f.Read(one[:]); n != size || m != 0 {
		return fmt.Errorf("copying %s: file changed size while being packed", p)
	}
	if pad := -size & (tarBlock - 1); pad > 0 {
		_, err = t.w.Write(zeroBlock[:pad])
	}
	return err
}

// close writes the end of the archive: two zero blocks.
func (t *tarStream) close() error {
	for range 2 {
		if _, err := t.w.Write(zeroBlock[:]); err != nil {
			return err
		}
	}
	return nil
}

const tarBlock = 512

var zeroBlock [tarBlock]byte

func tarHeader(name, p string, info fs.FileInfo, clamp time.Time, seen map[fileID]string) (*tar.Header, error) {
	mtime := info.ModTime().Truncate(time.Second)
	if mtime.After(clamp) {
		mtime = clamp
	}
	hdr := &tar.Header{Name: name, Mode: tarMode(info.Mode()), ModTime: mtime}
	switch m := info.Mode(); {
	case m.IsDir():
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
	case m.IsRegular():
		hdr.Typeflag = tar.TypeReg
		hdr.Size = info.Size()
		if id, shared := identity(info); shared {
			if first, ok := seen[id]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				seen[id] = name
			}
		}
	case m&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return nil, err
		}
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = filepath.ToSlash(target)
	default:
		return nil, fmt.Errorf("%s is a %s, not a regular file, directory or symlink: leave it out of the slot (the launcher does not create devices, fifos or sockets): %w: %w", p, fileKind(m), ErrSlotRule, ErrInvalidInput)
	}
	return hdr, nil
}

// tarMode converts permission and special bits to the tar header's Unix mode.
func tarMode(m fs.FileMode) int64 {
	v := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}

// fileModeFromUnix converts Unix mode bits (the descriptor's permissions) to an fs.FileMode.
func fileModeFromUnix(v uint32) fs.FileMode {
	m := fs.FileMode(v & 0o777)
	if v&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if v&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if v&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	default:
		return "special file"
	}
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// ctxReader fails reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

var errNotTar = errors.New("not a tar stream (no \"ustar\" magic at offset 257)")
