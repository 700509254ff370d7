package oci

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// decompress returns r decompressed according to its magic bytes (gzip, zstd, xz, bzip2), or r
// itself when it is none of these.
func decompress(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(6)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		return zr, func() {}, err
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		zr, err := xz.NewReader(br)
		return zr, func() {}, err
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), func() {}, nil
	}
	return br, func() {}, nil
}

// spooledEntry is one entry of an input tar, its content at offset in the spool file.
type spooledEntry struct {
	hdr    *tar.Header
	offset int64
}

// rewriteTar reads the root filesystem tar at src, spooling file contents to a file in scratch,
// and writes its entries to tw sorted by path, normalised like writeDirTar's. For a path that
// appears more than once the last entry wins, as when extracting. Sockets are skipped; a path
// escaping the root is an error.
func rewriteTar(ctx context.Context, tw *tar.Writer, src, scratch string, epoch time.Time) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	r, done, err := decompress(f)
	if err != nil {
		return fmt.Errorf("decompressing %s: %w", src, err)
	}
	defer done()
	spool, err := os.Create(filepath.Join(scratch, "content"))
	if err != nil {
		return err
	}
	defer spool.Close()
	entries, err := spoolTar(ctx, tar.NewReader(r), spool)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	return writeSpooled(ctx, tw, entries, spool, epoch)
}

// spoolTar reads every entry of tr, copying contents to spool, and returns them by clean name.
func spoolTar(ctx context.Context, tr *tar.Reader, spool io.Writer) (map[string]spooledEntry, error) {
	entries := map[string]spooledEntry{}
	var offset int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return entries, nil
		}
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name, err := cleanTarName(hdr.Name)
		if err != nil {
			return nil, err
		}
		if name == "" || hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if hdr.Typeflag == tar.TypeLink {
			if hdr.Linkname, err = cleanTarName(hdr.Linkname); err != nil || hdr.Linkname == "" {
				return nil, fmt.Errorf("hard link %s to %q: %w", name, hdr.Linkname, errUnsafePath)
			}
		}
		if hdr.FileInfo().Mode()&os.ModeSocket != 0 {
			continue
		}
		if hdr.Typeflag == tar.TypeDir {
			name += "/"
		}
		hdr.Name = name
		e := spooledEntry{hdr: hdr, offset: offset}
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA {
			hdr.Typeflag = tar.TypeReg
			n, err := io.Copy(spool, tr)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", name, err)
			}
			hdr.Size = n
			offset += n
		} else {
			hdr.Size = 0
		}
		delete(entries, strings.TrimSuffix(name, "/"))
		delete(entries, strings.TrimSuffix(name, "/")+"/")
		entries[name] = e
	}
}

// cleanTarName turns a tar entry name into a clean relative path ("" for the root) or fails
// when it escapes the root.
func cleanTarName(name string) (string, error) {
	clean := path.Clean("/" + name)
	if strings.Contains(name, "\x00") {
		return "", fmt.Errorf("entry %q: %w", name, errUnsafePath)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("entry %q: %w", name, errUnsafePath)
		}
	}
	return strings.TrimPrefix(clean, "/"), nil
}

func writeSpooled(ctx context.Context, tw *tar.Writer, entries map[string]spooledEntry, spool *os.File, epoch time.Time) error {
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := entries[n]
		normaliseHeader(e.hdr, epoch)
		if err := tw.WriteHeader(e.hdr); err != nil {
			return fmt.Errorf("writing %s: %w", n, err)
		}
		if e.hdr.Typeflag != tar.TypeReg || e.hdr.Size == 0 {
			continue
		}
		if _, err := io.Copy(tw, io.NewSectionReader(spool, e.offset, e.hdr.Size)); err != nil {
			return fmt.Errorf("writing %s: %w", n, err)
		}
	}
	return nil
}
