package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/flavor-dev/flavor/pkgdb"
)

// Where a build root keeps what its package database needs.
const (
	dpkgStatus   = "/var/lib/dpkg/status"
	dpkgInfo     = "/var/lib/dpkg/info"
	apkInstalled = "/lib/apk/db/installed"
	maxDBFile    = 64 << 20 // the largest database file read into memory
)

// distro is the package database of a package's build root, read once after its steps, for
// the Distro record of each artifact the build writes (see Metadata.Distro).
type distro struct {
	ix     *pkgdb.Index // nil when the root has no database
	prefix string       // where the artifact's root lies in the build root ("out" for package_dir /out)
	read   func(ctx context.Context, p string) ([]byte, bool, error)
	lic    map[string][]string
}

// readDistro reads the package database of the package container: dpkg's status and
// info/*.list files, or apk's installed file, and os-release. It copies only those files.
func (s *stage) readDistro(ctx context.Context) (*distro, error) {
	id := s.packageID
	d := &distro{read: func(ctx context.Context, p string) ([]byte, bool, error) { return s.readFile(ctx, id, p) }, lic: map[string][]string{}}
	if pd := s.n.pkg.Spec.PackageDir; pd != "" {
		d.prefix = strings.TrimPrefix(path.Clean("/"+pd), "/")
	}
	what := fmt.Sprintf("reading the package database of the build root of %s for %s", s.n.id(), s.n.platform)
	status, ok, err := d.read(ctx, dpkgStatus)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	switch {
	case ok:
		pkgs, err := pkgdb.ParseDpkgStatus(bytes.NewReader(status))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		lists, err := s.dpkgLists(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		d.ix = pkgdb.NewIndex(pkgdb.Dpkg, pkgdb.AttachDpkgFiles(pkgs, lists))
	default:
		installed, ok, err := d.read(ctx, apkInstalled)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if !ok {
			return d, nil
		}
		pkgs, err := pkgdb.ParseApkInstalled(bytes.NewReader(installed))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		d.ix = pkgdb.NewIndex(pkgdb.Apk, pkgs)
	}
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, ok, err := d.read(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			d.ix.SetOSRelease(b)
			break
		}
	}
	// A merged-/usr root links /lib to usr/lib (and so on): dpkg lists /lib/x, the artifact
	// may ship usr/lib/x.
	for _, dir := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		target, err := s.linkTarget(ctx, id, "/"+dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if target != "" {
			d.ix.Alias(dir, path.Clean(path.Join("/", target)))
		}
	}
	return d, nil
}

// record is what the database says about an artifact's files.
func (d *distro) record(ctx context.Context, files []string) (*pkgdb.Record, error) {
	if d == nil {
		return nil, nil
	}
	if d.ix == nil {
		return &pkgdb.Record{Packages: []pkgdb.Package{}, Note: pkgdb.NoDatabase}, nil
	}
	var lerr error
	rec := d.ix.Record(files, d.prefix, func(p pkgdb.Package) []string {
		if p.Type != "deb" {
			return nil
		}
		if l, ok := d.lic[p.Name]; ok {
			return l
		}
		b, ok, err := d.read(ctx, "/usr/share/doc/"+p.Name+"/copyright")
		if err != nil && lerr == nil {
			lerr = err
		}
		var l []string
		if ok {
			l = pkgdb.ParseCopyright(b)
		}
		d.lic[p.Name] = l
		return l
	})
	if lerr != nil {
		return nil, fmt.Errorf("reading the copyright files of the build root: %w", lerr)
	}
	return &rec, nil
}

// readFile copies one file out of a container, following a symbolic link (Debian's
// /etc/os-release is one); ok is false when there is no such file.
func (s *stage) readFile(ctx context.Context, id, p string) ([]byte, bool, error) {
	for hops := 0; hops < 8; hops++ {
		rc, err := copyPath(ctx, s.b.eng, id, p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		hdr, body, err := firstEntry(rc)
		rc.Close()
		if err != nil {
			return nil, false, fmt.Errorf("copying %s: %w", p, err)
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			return body, true, nil
		case tar.TypeSymlink:
			if path.IsAbs(hdr.Linkname) {
				p = path.Clean(hdr.Linkname)
			} else {
				p = path.Join(path.Dir(p), hdr.Linkname)
			}
		default:
			return nil, false, nil
		}
	}
	return nil, false, nil
}

// linkTarget returns where path p of a container links to, "" when it is not a link. Only the
// first tar header is read, so a real directory is not copied.
func (s *stage) linkTarget(ctx context.Context, id, p string) (string, error) {
	rc, err := copyPath(ctx, s.b.eng, id, p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer rc.Close()
	hdr, err := tar.NewReader(rc).Next()
	if err != nil {
		return "", fmt.Errorf("copying %s: %w", p, err)
	}
	if hdr.Typeflag != tar.TypeSymlink {
		return "", nil
	}
	return hdr.Linkname, nil
}

// firstEntry reads the first entry of a tar stream, and its content when it is a file.
func firstEntry(r io.Reader) (*tar.Header, []byte, error) {
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil {
		return nil, nil, err
	}
	if hdr.Typeflag != tar.TypeReg {
		return hdr, nil, nil
	}
	if hdr.Size > maxDBFile {
		return nil, nil, fmt.Errorf("%s is %d bytes, more than the %d read", hdr.Name, hdr.Size, maxDBFile)
	}
	b, err := io.ReadAll(tr)
	return hdr, b, err
}

// dpkgLists reads every info/*.list file: "name" or "name:arch" → installed paths.
func (s *stage) dpkgLists(ctx context.Context, id string) (map[string][]string, error) {
	out := map[string][]string{}
	rc, err := copyPath(ctx, s.b.eng, id, dpkgInfo)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("copying %s: %w", dpkgInfo, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name, arch, ok := pkgdb.DpkgListName(path.Base(hdr.Name))
		if !ok {
			continue
		}
		files, err := pkgdb.ParseDpkgList(tr)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", hdr.Name, err)
		}
		key := name
		if arch != "" {
			key += ":" + arch
		}
		out[key] = files
	}
}
