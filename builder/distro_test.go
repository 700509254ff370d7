package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/pkgdb"
	"github.com/flavor-dev/flavor/platform"
)

// debianRoot adds a fake Debian image to f: a merged-/usr root whose dpkg database says
// zlib1g installed /lib/x86_64-linux-gnu/libz.so.1.2.13.
func debianRoot(t *testing.T, f *fakeEngine) {
	t.Helper()
	root := filepath.Join(f.root, "debian")
	files := map[string]string{
		"var/lib/dpkg/status": "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nDescription: compression library - runtime\n\n" +
			"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\nDescription: GNU C Library\n",
		"var/lib/dpkg/info/zlib1g:amd64.list":     "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libz.so.1.2.13\n",
		"var/lib/dpkg/info/libc6:amd64.list":      "/lib/x86_64-linux-gnu/libc.so.6\n",
		"var/lib/dpkg/info/zlib1g:amd64.md5sums":  "00  lib/x86_64-linux-gnu/libz.so.1.2.13\n",
		"usr/share/doc/zlib1g/copyright":          "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: Jean-loup Gailly and Mark Adler\nLicense: Zlib\n",
		"usr/lib/os-release":                      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
		"usr/lib/x86_64-linux-gnu/libz.so.1.2.13": "zlib\n",
		"usr/lib/x86_64-linux-gnu/libc.so.6":      "libc\n",
		"usr/bin/tool":                            "not packaged\n",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"lib": "usr/lib", "bin": "usr/bin", "etc/os-release": "../usr/lib/os-release"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	img := &fakeImage{id: fakeID("debian"), layers: []string{root}, platform: platform.MustParse("linux/amd64")}
	f.images[img.id], f.images["debian"] = img, img
}

func TestBuildRecordsTheDistroPackages(t *testing.T) {
	f := newFakeEngine(t)
	debianRoot(t, f)
	tree := fakeTree(t, map[string]string{
		"runtime/zlib": "image: debian\nunpack: true\nincludes:\n- ^/usr/lib/x86_64-linux-gnu/lib\n- ^/usr/bin/tool\n",
		"test/plain":   "image: busybox\nsteps:\n- write /b b\n",
	})
	cache := t.TempDir()
	res, _, err := fakeBuild(t.Context(), t, f, cache, tree, []string{"runtime/zlib", "test/plain"})
	if err != nil {
		t.Fatal(err)
	}
	rec := artifactOf(t, res, "runtime/zlib@1.0").Metadata.Distro
	if rec == nil || rec.Database != pkgdb.Dpkg || rec.Distro != "debian-12" || len(rec.Packages) != 2 {
		t.Fatalf("record %+v, want libc6 and zlib1g from dpkg on debian-12", rec)
	}
	z := rec.Packages[1]
	if z.Name != "zlib1g" || z.Version != "1:1.2.13.dfsg-1" || strings.Join(z.Files, ",") != "usr/lib/x86_64-linux-gnu/libz.so.1.2.13" ||
		strings.Join(z.Licenses, ",") != "Zlib" || z.PURL() != "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12" {
		t.Fatalf("zlib1g recorded as %+v (%s)", z, z.PURL())
	}
	// The record is kept with the artifact's metadata in the cache: a cached build has it.
	again, _, err := fakeBuild(t.Context(), t, f, cache, tree, []string{"runtime/zlib"})
	if err != nil {
		t.Fatal(err)
	}
	if a := artifactOf(t, again, "runtime/zlib@1.0"); a.Source != SourceCached || a.Metadata.Distro == nil || len(a.Metadata.Distro.Packages) != 2 {
		t.Fatalf("cached artifact: source %v, record %+v", a.Source, a.Metadata.Distro)
	}
	// A root without a package database: the record says so.
	plain := artifactOf(t, res, "test/plain@1.0").Metadata.Distro
	if plain == nil || plain.Database != "" || plain.Note != pkgdb.NoDatabase {
		t.Fatalf("busybox record %+v, want the no-database note", plain)
	}
}
