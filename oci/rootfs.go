package oci

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"

	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
)

// DefaultPath is the PATH of base images made by [NewBaseImage] (Docker's default).
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// BaseImage is a single-layer image made from a root filesystem by [NewBaseImage]. Its layer is
// kept in a temporary file until Close.
type BaseImage struct {
	v1.Image
	dir string
}

// Close removes the image's temporary layer file; the image cannot be read afterwards.
func (b *BaseImage) Close() error {
	if b.dir == "" {
		return nil
	}
	err := os.RemoveAll(b.dir)
	b.dir = ""
	return err
}

// NewBaseImage makes a deterministic single-layer OCI image of the root filesystem src (a
// directory, or a tar file, plain or compressed with gzip, zstd, xz or bzip2) for platform p.
//
// The layer holds every entry sorted by path, with mtimes clamped to the source date epoch, owners
// (numeric uid/gid) and mode bits as on disk or in the tar, hard links kept as links, and no user
// or group names; sockets are skipped. The config records p's os, architecture and variant,
// Env PATH=[DefaultPath] and Cmd ["/bin/sh"], and is created at the epoch. The same root
// filesystem therefore gives the same digests.
//
// Options: [WithSourceDateEpoch], [WithProgress], [WithLogger].
func NewBaseImage(ctx context.Context, src string, p platform.Platform, opts ...Option) (*BaseImage, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("making a base image of %s: %w", src, err)
	}
	epoch, err := o.sourceDateEpoch()
	if err != nil {
		return nil, fmt.Errorf("making a base image of %s: %w", src, err)
	}
	if p.IsZero() {
		return nil, fmt.Errorf("making a base image of %s: %w (no platform given)", src, ErrBadPlatform)
	}
	p = p.Normalize()
	st, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("making a base image of %s: %w", src, err)
	}
	dir, err := os.MkdirTemp("", "flavor-rootfs-")
	if err != nil {
		return nil, fmt.Errorf("making a base image of %s: %w", src, err)
	}
	b := &BaseImage{dir: dir}
	layer, err := writeRootFSLayer(ctx, filepath.Join(dir, "layer.tar.gz"), func(tw *tar.Writer) error {
		if st.IsDir() {
			return writeDirTar(ctx, tw, src, epoch)
		}
		return rewriteTar(ctx, tw, src, dir, epoch)
	}, o)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("making a base image of %s: %w", src, err)
	}
	img, err := baseImageConfig(layer, p, epoch)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("making a base image of %s: %w", src, err)
	}
	b.Image = img
	return b, nil
}

// sourceDateEpoch is the time of [WithSourceDateEpoch], else 0.
func (o *options) sourceDateEpoch() (time.Time, error) {
	if o.epoch != nil {
		return *o.epoch, nil
	}
	return time.Unix(0, 0).UTC(), nil
}

// writeRootFSLayer writes the tar produced by fill, gzip-compressed, to path, computing the
// layer's DiffID and digest in the same pass.
func writeRootFSLayer(ctx context.Context, path string, fill func(*tar.Writer) error, o *options) (*fileLayer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	compressed := newHashingWriter(f)
	zw, err := gzip.NewWriterLevel(compressed, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	uncompressed := newHashingWriter(zw)
	tw := tar.NewWriter(&progressWriter{w: uncompressed, o: o, stage: StageLayer, ref: path})
	if err := fill(tw); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("writing the layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing the layer: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing the layer: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &fileLayer{
		path: path, digest: compressed.sum(), diffID: uncompressed.sum(), size: compressed.n,
		media: types.OCILayer, gzipped: true,
	}, nil
}

// baseImageConfig wraps layer in an OCI image for p, created at epoch.
func baseImageConfig(layer v1.Layer, p platform.Platform, epoch time.Time) (v1.Image, error) {
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "flavor image import", Comment: "root filesystem"},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Arch, p.Variant
	cf.Created = v1.Time{Time: epoch}
	cf.Config.Env = []string{"PATH=" + DefaultPath}
	cf.Config.Cmd = []string{"/bin/sh"}
	return mutate.ConfigFile(img, cf)
}

// progressWriter reports the bytes passing through it.
type progressWriter struct {
	w     io.Writer
	o     *options
	stage progress.Stage
	ref   string
	done  int64
	last  int64
}

func (pw *progressWriter) Write(p []byte) (int, error) {
	n, err := pw.w.Write(p)
	pw.done += int64(n)
	if pw.o != nil && pw.o.progress != nil && pw.done-pw.last >= 1<<20 {
		pw.last = pw.done
		pw.o.report(progress.Event{Stage: pw.stage, Message: pw.ref, Done: pw.done})
	}
	return n, err
}

// writeDirTar writes the tree under root to tw sorted by entry name, like rewriteTar, so a
// directory and a tar of it give the same layer.
func writeDirTar(ctx context.Context, tw *tar.Writer, root string, epoch time.Time) error {
	type entry struct {
		name, path string
		fi         fs.FileInfo
	}
	var entries []entry
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." || d.Type()&fs.ModeSocket != 0 {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		name := filepath.ToSlash(rel)
		if fi.IsDir() {
			name += "/"
		}
		entries = append(entries, entry{name: name, path: path, fi: fi})
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	type inode struct{ dev, ino uint64 }
	seen := map[inode]string{}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		var link string
		if e.fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(e.path); err != nil {
				return fmt.Errorf("reading link %s: %w", e.path, err)
			}
		}
		hdr, err := tar.FileInfoHeader(e.fi, link)
		if err != nil {
			return fmt.Errorf("describing %s: %w", e.path, err)
		}
		hdr.Name = e.name
		if dev, ino, ok := hardLinked(e.fi); ok && e.fi.Mode().IsRegular() {
			key := inode{dev, ino}
			if first, ok := seen[key]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				seen[key] = hdr.Name
			}
		}
		if err := writeFileEntry(tw, hdr, e.path, epoch); err != nil {
			return err
		}
	}
	return nil
}

func writeFileEntry(tw *tar.Writer, hdr *tar.Header, path string, epoch time.Time) error {
	normaliseHeader(hdr, epoch)
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing %s: %w", hdr.Name, err)
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	if _, err := io.CopyN(tw, f, hdr.Size); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// normaliseHeader drops what differs between machines or runs (names of owners, access and
// change times, sub-second times) and clamps the mtime to epoch.
func normaliseHeader(hdr *tar.Header, epoch time.Time) {
	hdr.Uname, hdr.Gname = "", ""
	hdr.Mode &= 0o7777
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	if hdr.ModTime.After(epoch) {
		hdr.ModTime = epoch
	}
	hdr.ModTime = hdr.ModTime.Truncate(time.Second).UTC()
	hdr.Format = tar.FormatPAX
	kept := map[string]string{}
	for k, v := range hdr.PAXRecords {
		if len(k) > len("SCHILY.xattr.") && k[:len("SCHILY.xattr.")] == "SCHILY.xattr." {
			kept[k] = v
		}
	}
	hdr.PAXRecords = nil
	if len(kept) > 0 {
		hdr.PAXRecords = kept
	}
}

var errUnsafePath = errors.New("unsafe path")
