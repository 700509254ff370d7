package builder

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// copyContext copies the package directory (without the files ContextExcludes names) into the
// builder container's /luetbuild, owned by root as Docker's COPY makes it.
func (s *stage) copyContext(ctx context.Context) error {
	p := s.n.pkg
	skip := p.ContextExcludes()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeContextTar(ctx, pw, p.Dir, skip)) }()
	err := s.b.eng.CopyTo(ctx, s.builderID, workDir, pr)
	pr.CloseWithError(errors.New("copy finished"))
	if err != nil {
		return fmt.Errorf("building %s for %s: copying the package directory %s to %s: %w", p.ID(), s.n.platform, p.Dir, workDir, err)
	}
	return nil
}

// writeContextTar writes dir's entries (not dir itself) as a tar stream with root as owner,
// leaving out the relative paths in skip. Symbolic links are stored, not followed.
func writeContextTar(ctx context.Context, w io.Writer, dir string, skip []string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if slices.Contains(skip, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		if !fi.Mode().IsRegular() && !fi.IsDir() && fi.Mode()&fs.ModeSymlink == 0 {
			return nil // sockets, devices and pipes have no place in a build context
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		hdr.Name = rel
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	return tw.Close()
}

// copyEntry applies one `copy` entry: source is read from the package image of the package it
// names (or from image) through a short-lived container and written to destination in the
// builder container. As with Docker's COPY, a destination ending in "/" receives the source
// under its own name, and a directory's contents land in the destination directory.
func (s *stage) copyEntry(ctx context.Context, i int, source, destination, image string) error {
	n := s.n
	what := fmt.Sprintf("building %s for %s: copy %d (%s → %s)", n.id(), n.platform, i+1, source, destination)
	var from string
	var err error
	if cn := n.copies[i]; cn != nil {
		from, err = s.b.packageImage(ctx, cn)
	} else {
		res, rerr := s.b.resolve(ctx, image, n.platform)
		if rerr != nil {
			return fmt.Errorf("%s: %w", what, rerr)
		}
		from, err = s.b.resolver.Provide(ctx, res, "")
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	id, err := s.create(ctx, from, false) // only read from: an image without a shell serves too
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer s.b.eng.Remove(context.WithoutCancel(ctx), id)
	source = path.Clean("/" + source)
	dst := destination
	if strings.HasSuffix(dst, "/") || dst == "" {
		dst = path.Join(dst, path.Base(source))
	}
	dst = path.Clean("/" + dst)
	if dst == "/" {
		return fmt.Errorf("%s: the destination cannot be /", what)
	}
	rc, err := s.b.eng.CopyFrom(ctx, id, source)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rc.Close()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(renameRoot(rc, pw, path.Base(source), path.Base(dst))) }()
	err = s.b.eng.CopyTo(ctx, s.builderID, path.Dir(dst), pr)
	pr.CloseWithError(errors.New("copy finished"))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// renameRoot copies a tar stream whose entries all sit under from (the root entry being from
// itself) to w with from renamed to to.
func renameRoot(r io.Reader, w io.Writer, from, to string) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return tw.Close()
		}
		if err != nil {
			return fmt.Errorf("reading the copied tar stream: %w", err)
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		switch {
		case name == from || name == from+"/":
			hdr.Name = to + strings.TrimPrefix(name, from)
		case strings.HasPrefix(name, from+"/"):
			hdr.Name = to + strings.TrimPrefix(name, from)
		default:
			return fmt.Errorf("copied tar stream holds %q outside %q", hdr.Name, from)
		}
		if hdr.Typeflag == tar.TypeLink {
			if l := strings.TrimPrefix(hdr.Linkname, "./"); l == from || strings.HasPrefix(l, from+"/") {
				hdr.Linkname = to + strings.TrimPrefix(l, from)
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}
