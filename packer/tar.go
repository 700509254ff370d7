package packer

import (
	"archive/tar"
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
	tw := tar.NewWriter(w)
	seen := map[fileID]string{}
	buf := make([]byte, 1<<20)
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
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing tar header for %s: %w", p, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			return copyFileInto(tw, p, hdr.Size, buf)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("packing directory %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("packing directory %s: %w", dir, err)
	}
	return nil
}

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
		return nil, fmt.Errorf("%s is a %s, not a regular file, directory or symlink: %w", p, fileKind(m), ErrInvalidInput)
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

// copyFileInto copies exactly size bytes of the file at p into w and fails when the file changed
// size while being read.
func copyFileInto(w io.Writer, p string, size int64, buf []byte) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.CopyBuffer(w, io.LimitReader(f, size), buf)
	if err != nil {
		return fmt.Errorf("copying %s: %w", p, err)
	}
	var one [1]byte
	if m, _ := f.Read(one[:]); n != size || m != 0 {
		return fmt.Errorf("copying %s: file changed size while being packed", p)
	}
	return nil
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
