package builder

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// retrieve applies one `retrieve` entry as Docker's `ADD entry /luetbuild/` would: a local glob
// is resolved against the destination directory (where earlier artifacts are written); each
// match that is a tar archive (plain, gzip, bzip2, xz or, since our artifacts use it, zstd) is
// extracted into /luetbuild, another file is copied there, a directory's contents too. A glob
// that matches no file there is tried against Luet's names of the artifacts (luetMatches), so
// trees written for Luet (`a-test-1.0.package.*`) find ours. An http(s) URL is downloaded into
// /luetbuild under its base name, not extracted. A glob that matches nothing is an error (Luet
// only warns, and then builds without the file).
//
// Each thing retrieved reaches put as one tar stream (write writes it), in order: the container
// path streams it into the builder container, a solver's job gets it as a file.
func (b *builder) retrieve(ctx context.Context, n *node, entry string, put tarSink) error {
	what := fmt.Sprintf("building %s for %s: retrieve %q", n.id(), n.platform, entry)
	if u, err := url.Parse(entry); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		if err := b.download(ctx, u, put); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	matches, err := filepath.Glob(filepath.Join(b.dest, entry))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(matches) == 0 {
		if matches, err = b.luetMatches(n, entry); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if len(matches) == 0 {
		return fmt.Errorf("%s: nothing in the destination %s matches it (retrieve globs are resolved against the destination directory, where artifacts built earlier are written, by flavor's names <name>-<category>-<version>-<os>-<arch>.package.tar.zst or Luet's <name>-<category>-<version>.package.tar.zst)", what, b.dest)
	}
	for _, m := range matches {
		if err := retrieveFile(ctx, m, put); err != nil {
			return fmt.Errorf("%s: %s: %w", what, m, err)
		}
	}
	return nil
}

// tarSink receives one tar stream, which write writes.
type tarSink func(ctx context.Context, write func(io.Writer) error) error

// luetSuffixes are the artifact name endings Luet writes, one per compression it offers.
var luetSuffixes = []string{".package.tar", ".package.tar.gz", ".package.tar.zst"}

// luetMatches matches a glob written for Luet's artifact names, <name>-<category>-<version>
// .package.tar[.gz|.zst] (no platform, no flavor, compression as Luet was told), against the
// artifacts in the destination built for the stage's platform, by their metadata. Retrieve
// extracts what it finds, so the compression in the glob does not matter. When one package has
// artifacts of several flavors there, the one this package builds on is taken; with none of them
// that is ambiguous, and flavor's own name must be written.
func (b *builder) luetMatches(n *node, glob string) ([]string, error) {
	if filepath.Base(glob) != glob {
		return nil, nil
	}
	ents, err := os.ReadDir(b.dest)
	if err != nil {
		return nil, err
	}
	deps := map[string]bool{}
	for _, d := range n.deps {
		deps[d.key] = true
	}
	byFingerprint := map[string][]Metadata{}
	var order []string
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), metadataSuffix) {
			continue
		}
		m, err := readMetadata(filepath.Join(b.dest, e.Name()))
		if err != nil || m.Platform != n.platform.String() || m.Artifact == "" {
			continue // not an artifact of ours for this platform
		}
		for _, suf := range luetSuffixes {
			if ok, _ := path.Match(glob, m.Fingerprint+suf); ok {
				if byFingerprint[m.Fingerprint] == nil {
					order = append(order, m.Fingerprint)
				}
				byFingerprint[m.Fingerprint] = append(byFingerprint[m.Fingerprint], m)
				break
			}
		}
	}
	var out []string
	for _, fp := range order {
		ms := byFingerprint[fp]
		pick := ms[0]
		if len(ms) > 1 {
			var names []string
			found := false
			for _, m := range ms {
				names = append(names, m.Artifact)
				if deps[m.CacheKey] {
					pick, found = m, true
				}
			}
			if !found {
				return nil, fmt.Errorf("the Luet name %s%s fits artifacts of several flavors in %s (%s): write flavor's name of the one wanted", fp, luetSuffixes[2], b.dest, strings.Join(names, ", "))
			}
		}
		out = append(out, filepath.Join(b.dest, pick.Artifact))
	}
	return out, nil
}

// retrieveFile gives put one local match: a directory's content, a tar archive's entries (made
// plain), or another file as a one-file tar.
func retrieveFile(ctx context.Context, p string, put tarSink) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return put(ctx, func(w io.Writer) error { return writeContextTar(ctx, w, p, nil) })
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	plain, isTar, err := openArchive(f)
	if err != nil {
		return err
	}
	if isTar {
		return put(ctx, func(w io.Writer) error { _, err := io.Copy(w, plain); return err })
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return put(ctx, func(w io.Writer) error { return singleFileTar(w, filepath.Base(p), f, fi.Size()) })
}

// download fetches u and gives put a one-file tar naming it by the base name of its path.
func (b *builder) download(ctx context.Context, u *url.URL, put tarSink) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u.Redacted(), resp.Status)
	}
	tmp, err := os.CreateTemp(b.o.tempDir, "flavor-retrieve-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	size, err := io.Copy(tmp, resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" {
		name = "index.html"
	}
	return put(ctx, func(w io.Writer) error { return singleFileTar(w, name, tmp, size) })
}

// copyStream copies the tar stream write produces into the builder container's /luetbuild.
func (s *stage) copyStream(ctx context.Context, write func(io.Writer) error) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	err := s.b.eng.CopyTo(ctx, s.builderID, workDir, pr)
	pr.CloseWithError(errors.New("copy finished"))
	return err
}

// singleFileTar writes a tar stream holding one regular file, root-owned, mode 0644.
func singleFileTar(w io.Writer, name string, r io.Reader, size int64) error {
	tw := tar.NewWriter(w)
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0)}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.Copy(tw, r); err != nil {
		return err
	}
	return tw.Close()
}

// openArchive sniffs r: when it is a tar archive, plain or compressed, it returns the plain
// tar stream and true.
func openArchive(r io.Reader) (io.Reader, bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(6)
	var plain io.Reader = br
	var err error
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		plain, err = gzip.NewReader(br)
	case bytes.HasPrefix(head, []byte("BZh")):
		plain = bzip2.NewReader(br)
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		plain, err = xz.NewReader(br)
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		var d *zstd.Decoder
		d, err = zstd.NewReader(br, zstd.WithDecoderMaxWindow(1<<27))
		if err == nil {
			plain = d.IOReadCloser()
		}
	}
	if err != nil {
		return nil, false, nil // not a valid compressed stream: an ordinary file
	}
	pb := bufio.NewReaderSize(plain, 4096)
	block, _ := pb.Peek(512)
	if len(block) < 512 || !strings.HasPrefix(string(block[257:262]), "ustar") {
		return nil, false, nil
	}
	return pb, true, nil
}
