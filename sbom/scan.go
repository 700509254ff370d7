package sbom

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/pkgdb"
)

// maxDistInfo caps the METADATA and RECORD bytes kept per file while scanning.
const maxDistInfo = 4 << 20

// Scanned is what scanning one slot's content found.
type Scanned struct {
	Content string // hex SHA-256 of the whole stream
	Files   []File
	// Python are the distributions whose *.dist-info the slot holds, with the files their
	// RECORD lists.
	Python []pkgdb.Package
}

// ScanTar reads a tar stream (a tar slot's decoded content) and records every regular file
// (hard links as the file they name) with its hashes. With more than two CPUs, the stream's
// SHA-256 and the files' SHA-1 are computed by workers of their own (sidehash), beside the
// files' SHA-256 here.
func ScanTar(ctx context.Context, r io.Reader) (Scanned, error) {
	return scanTar(ctx, r, newPartHasher(sha256.New()), newPartHasher(sha1.New()))
}

// scanTar is ScanTar with the stream's and the files' SHA-1 hashers given.
func scanTar(ctx context.Context, r io.Reader, whole, sha1s partHasher) (Scanned, error) {
	var wholeSums, sha1Sums [][]byte
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			wholeSums, sha1Sums = whole.Wait(), sha1s.Wait()
		}
	}
	defer stop()
	tr := tar.NewReader(io.TeeReader(r, whole))
	var out Scanned
	var sha1Part []int // for each of out.Files, the number of its SHA-1 in sha1Sums
	byPath := map[string]int{}
	dist := map[string]map[string][]byte{} // dist-info dir → METADATA/RECORD bytes
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, fmt.Errorf("reading the slot's tar stream: %w", err)
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		switch hdr.Typeflag {
		case tar.TypeReg:
			h256 := sha256.New()
			var keep *bytes.Buffer
			w := io.MultiWriter(h256, sha1s)
			if _, ok := pkgdb.IsDistInfoFile(name); ok && hdr.Size <= maxDistInfo {
				keep = &bytes.Buffer{}
				w = io.MultiWriter(h256, sha1s, keep)
			}
			n, err := io.CopyBuffer(w, tr, buf)
			if err != nil {
				return out, fmt.Errorf("reading %s from the slot: %w", name, err)
			}
			part := sha1s.EndPart()
			f := File{Path: name, SHA256: hex.EncodeToString(h256.Sum(nil)), Size: n, Mode: hdr.Mode}
			if i, ok := byPath[name]; ok {
				out.Files[i], sha1Part[i] = f, part // a later entry replaces an earlier one, as unpacking does
			} else {
				byPath[name] = len(out.Files)
				out.Files, sha1Part = append(out.Files, f), append(sha1Part, part)
			}
			if keep != nil {
				dir, _ := pkgdb.IsDistInfoFile(name)
				if dist[dir] == nil {
					dist[dir] = map[string][]byte{}
				}
				dist[dir][path.Base(name)] = keep.Bytes()
			}
		case tar.TypeLink:
			target := strings.TrimPrefix(path.Clean("/"+hdr.Linkname), "/")
			if i, ok := byPath[target]; ok {
				f := out.Files[i]
				f.Path, f.Mode = name, hdr.Mode
				byPath[name] = len(out.Files)
				out.Files, sha1Part = append(out.Files, f), append(sha1Part, sha1Part[i])
			}
		}
	}
	// The rest of the stream (tar padding) belongs to the content digest too.
	if _, err := io.Copy(io.Discard, tr); err != nil && !errors.Is(err, io.EOF) {
		return out, err
	}
	whole.EndPart()
	stop()
	out.Content = hex.EncodeToString(wholeSums[0])
	for i := range out.Files {
		out.Files[i].SHA1 = hex.EncodeToString(sha1Sums[sha1Part[i]])
	}
	dirs := make([]string, 0, len(dist))
	for d := range dist {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		if p, ok := pkgdb.DistInfo(d, dist[d]["METADATA"], dist[d]["RECORD"]); ok {
			if p.Files == nil {
				p.Files = []string{d + "/METADATA"}
			}
			out.Python = append(out.Python, p)
		}
	}
	return out, nil
}

// ScanFile reads a single-file slot's content, unpacked at target.
func ScanFile(ctx context.Context, r io.Reader, target string) (Scanned, error) {
	h256, h1 := sha256.New(), sha1.New()
	n, err := io.Copy(io.MultiWriter(h256, h1), ctxReader{ctx, r})
	if err != nil {
		return Scanned{}, fmt.Errorf("reading the slot: %w", err)
	}
	sum := hex.EncodeToString(h256.Sum(nil))
	name := strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(strings.ReplaceAll(target, "{workenv}/", ""), "{workenv}", "")), "/")
	return Scanned{Content: sum, Files: []File{{Path: name, SHA256: sum, SHA1: hex.EncodeToString(h1.Sum(nil)), Size: n}}}, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
