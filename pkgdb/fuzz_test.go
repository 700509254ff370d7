package pkgdb

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzDatabases feeds every parser the same bytes: the databases come out of build roots that
// packagers' steps may write anything into.
func FuzzDatabases(f *testing.F) {
	f.Add([]byte(status))
	f.Add([]byte(copyright))
	f.Add([]byte("P:musl\nV:1\nF:lib\nR:a\n\nP:b\nR:c\n"))
	f.Add([]byte("Name: a\nVersion: 1\nLicense: MIT\n\nbody"))
	f.Add([]byte("pkg/a.py,,\n\"unterminated,\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if pkgs, err := ParseDpkgStatus(bytes.NewReader(b)); err == nil {
			for _, p := range pkgs {
				if p.Name == "" {
					t.Fatalf("a dpkg package without a name: %+v", p)
				}
				_ = p.PURL()
			}
		}
		if pkgs, err := ParseApkInstalled(bytes.NewReader(b)); err == nil {
			for _, p := range pkgs {
				if p.Name == "" {
					t.Fatalf("an apk package without a name: %+v", p)
				}
			}
		}
		for _, l := range ParseCopyright(b) {
			if strings.TrimSpace(l) == "" {
				t.Fatalf("an empty license name from %q", b)
			}
		}
		if p, ok := DistInfo("site/x-1.dist-info", b, b); ok && (p.Name == "" || p.Version == "") {
			t.Fatalf("a distribution without name or version: %+v", p)
		}
		ParseOSRelease(b)
		ParseDpkgList(bytes.NewReader(b))
	})
}
