package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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

// copier returns path p of a build root as a tar stream, its base name at the root; a path
// that does not exist gives an error wrapping fs.ErrNotExist.
type copier func(ctx context.Context, p string) (io.ReadCloser, error)

// distroFiles are the paths of a build root readDistro reads (for a solver, which copies
// them out in one go; see engine.Want.Files).
var distroFiles = []string{dpkgStatus, dpkgInfo, apkInstalled, "/etc/os-release", "/usr/lib/os-release",
	"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr/share/doc/*/copyright"}

// readDistro reads the package database of the package container (see readDistroFrom).
func (s *stage) readDistro(ctx context.Context) (*distro, error) {
	id := s.packageID
	return readDistroFrom(ctx, s.n, func(ctx context.Context, p string) (io.ReadCloser, error) {
		return copyPath(ctx, s.b.eng, id, p)
	})
}

// readDistroDir reads the package database from a directory holding distroFiles of the
// build root.
func readDistroDir(ctx context.Context, n *node, dir string) (*distro, error) {
	return readDistroFrom(ctx, n, func(ctx context.Context, p string) (io.ReadCloser, error) {
		return tarPath(dir, p)
	})
}

// readDistroFrom reads the package database of n's build root through cp: dpkg's status and
// info/*.list files, or apk's installed file, and os-release. It copies only those files.
func readDistroFrom(ctx context.Context, n *node, cp copier) (*distro, error) {
	d := &distro{read: func(ctx context.Context, p string) ([]byte, bool, error) { return readFile(ctx, cp, p) }, lic: map[string][]string{}}
	if pd := n.pkg.Spec.PackageDir; pd != "" {
		d.prefix = strings.TrimPrefix(path.Clean("/"+pd), "/")
	}
	what := fmt.Sprintf("reading the package database of the build root of %s for %s", n.id(), n.platform)
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
		lists, err := dpkgLists(ctx, cp)
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
		target, err := linkTarget(ctx, cp, "/"+dir)
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

// readFile copies one file out of a build root, following a symbolic link (Debian's
// /etc/os-release is one); ok is false when there is no such file.
func readFile(ctx context.Context, cp copier, p string) ([]byte, bool, error) {
	for hops := 0; hops < 8; hops++ {
		rc, err := cp(ctx, p)
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

// linkTarget returns where path p of a build root links to, "" when it is not a link. Only the
// first tar header is read, so a real directory is not copied.
func linkTarget(ctx context.Context, cp copier, p string) (string, error) {
	rc, err := cp(ctx, p)
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
func dpkgLists(ctx context.Context, cp copier) (map[string][]string, error) {
	out := map[string][]string{}
	rc, err := cp(ctx, dpkgInfo)
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

// tarPath returns path p inside root as a tar stream, its base name at the root (what an
// engine's copy-from gives), without following symbolic links.
func tarPath(root, p string) (io.ReadCloser, error) {
	p = path.Clean("/" + p)
	top := filepath.Join(root, filepath.FromSlash(p))
	if _, err := os.Lstat(top); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	base := path.Base(p)
	err := filepath.WalkDir(top, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(f); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(top, f)
		if err != nil {
			return err
		}
		hdr.Name = path.Join(base, filepath.ToSlash(rel))
		if fi.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return io.NopCloser(&buf), nil
}
