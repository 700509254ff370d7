package pkgdb

import (
	"reflect"
	"strings"
	"testing"
)

const status = `Package: zlib1g
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime
 zlib is a library implementing the deflate compression method found
 in gzip and PKZIP.

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc (2.36-9+deb12u4)
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries

Package: gone
Status: deinstall ok config-files
Architecture: all
Version: 1.0
`

const copyright = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: zlib

Files: *
Copyright: 1995-2022 Jean-loup Gailly and Mark Adler
License: Zlib

Files: contrib/*
Copyright: someone
License: GPL-2+ or Zlib

License: Zlib
 This software is provided 'as-is' ...
`

func TestDpkgRecord(t *testing.T) {
	pkgs, err := ParseDpkgStatus(strings.NewReader(status))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 {
		t.Fatalf("packages %+v, want zlib1g and libc6 (config-files left out)", pkgs)
	}
	if p := pkgs[0]; p.Name != "zlib1g" || p.Version != "1:1.2.13.dfsg-1" || p.Source != "zlib" || p.SourceVersion != "" || p.Arch != "amd64" {
		t.Fatalf("zlib1g parsed as %+v", p)
	}
	if p := pkgs[1]; p.Source != "glibc" || p.SourceVersion != "" {
		t.Fatalf("libc6 source %q %q: the version equal to the binary's is not repeated", p.Source, p.SourceVersion)
	}
	name, arch, ok := DpkgListName("zlib1g:amd64.list")
	if !ok || name != "zlib1g" || arch != "amd64" {
		t.Fatalf("list name %q %q %v", name, arch, ok)
	}
	list, _ := ParseDpkgList(strings.NewReader("/.\n/lib\n/lib/x86_64-linux-gnu/libz.so.1.2.13\n/lib/x86_64-linux-gnu/libz.so.1\n"))
	pkgs = AttachDpkgFiles(pkgs, map[string][]string{"zlib1g:amd64": list, "libc6:amd64": {"/usr/lib/x86_64-linux-gnu/libc.so.6"}})
	ix := NewIndex(Dpkg, pkgs)
	ix.SetOSRelease([]byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"))
	ix.Alias("lib", "usr/lib")
	shipped := []string{"usr/lib/x86_64-linux-gnu/libz.so.1.2.13", "usr/lib/x86_64-linux-gnu/libc.so.6", "usr/bin/zdemo"}
	rec := ix.Record(shipped, "", func(p Package) []string {
		if p.Name == "zlib1g" {
			return ParseCopyright([]byte(copyright))
		}
		return nil
	})
	if rec.Database != Dpkg || rec.Distro != "debian-12" || len(rec.Packages) != 2 {
		t.Fatalf("record %+v", rec)
	}
	z := rec.Packages[1]
	if z.Name != "zlib1g" || !reflect.DeepEqual(z.Files, []string{"usr/lib/x86_64-linux-gnu/libz.so.1.2.13"}) {
		t.Fatalf("zlib1g owns %v through the merged /usr alias, want its library", z.Files)
	}
	if !reflect.DeepEqual(z.Licenses, []string{"Zlib", "GPL-2+"}) {
		t.Fatalf("licenses %v", z.Licenses)
	}
	if got, want := z.PURL(), "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12"; got != want {
		t.Fatalf("purl %s, want %s", got, want)
	}
	// Without the alias the library at /usr/lib is nobody's.
	ix2 := NewIndex(Dpkg, pkgs)
	if _, ok := ix2.Owner("usr/lib/x86_64-linux-gnu/libz.so.1.2.13"); ok {
		t.Fatal("owner found without the merged-/usr alias")
	}
	// A package_dir tree: its paths lie under the prefix in the root.
	if rec := ix.Record([]string{"x86_64-linux-gnu/libc.so.6"}, "usr/lib", nil); len(rec.Packages) != 1 || rec.Packages[0].Files[0] != "x86_64-linux-gnu/libc.so.6" {
		t.Fatalf("prefixed record %+v", rec)
	}
}

func TestApkInstalled(t *testing.T) {
	db := "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\nT:the musl c library\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:zlib\nV:1.3.1-r0\nA:x86_64\nL:Zlib\nF:lib\nR:libz.so.1\n"
	pkgs, err := ParseApkInstalled(strings.NewReader(db))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 || pkgs[0].Name != "musl" || pkgs[0].Source != "" || !reflect.DeepEqual(pkgs[0].Files, []string{"lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"}) {
		t.Fatalf("apk packages %+v", pkgs)
	}
	ix := NewIndex(Apk, pkgs)
	ix.SetOSRelease([]byte("ID=alpine\nVERSION_ID=3.20.0\n"))
	rec := ix.Record([]string{"lib/libz.so.1"}, "", nil)
	if len(rec.Packages) != 1 || rec.Packages[0].PURL() != "pkg:apk/alpine/zlib@1.3.1-r0?arch=x86_64&distro=alpine-3.20.0" {
		t.Fatalf("record %+v", rec)
	}
}

func TestDistInfo(t *testing.T) {
	md := []byte("Metadata-Version: 2.1\nName: Typing_Extensions\nVersion: 4.12.2\nSummary: Backported types\nClassifier: License :: OSI Approved :: Python Software Foundation License\n\nlong text\n")
	rec := []byte("typing_extensions.py,sha256=abc,100\ntyping_extensions-4.12.2.dist-info/METADATA,,\n../../../bin/tool,,\n")
	dir := "usr/lib/python3/site-packages/typing_extensions-4.12.2.dist-info"
	if d, ok := IsDistInfoFile(dir + "/METADATA"); !ok || d != dir {
		t.Fatalf("IsDistInfoFile: %q %v", d, ok)
	}
	p, ok := DistInfo(dir, md, rec)
	if !ok {
		t.Fatal("not read")
	}
	if p.PURL() != "pkg:pypi/typing-extensions@4.12.2" || p.Licenses[0] != "Python Software Foundation License" {
		t.Fatalf("dist %+v purl %s", p, p.PURL())
	}
	want := []string{"usr/lib/python3/site-packages/typing_extensions.py", dir + "/METADATA", "usr/bin/tool"}
	if !reflect.DeepEqual(p.Files, want) {
		t.Fatalf("files %v, want %v", p.Files, want)
	}
	if _, ok := DistInfo(dir, []byte("Name: x\n"), nil); ok {
		t.Fatal("a METADATA without Version was read")
	}
}
