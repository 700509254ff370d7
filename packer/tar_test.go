package packer

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func tarOf(t *testing.T, dir string, opts ...Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := TarDir(context.Background(), &buf, dir, opts...)
	if err != nil {
		t.Fatalf("TarDir: %v", err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("TarDir reported %d bytes, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

func tarHeaders(t *testing.T, b []byte) []*tar.Header {
	t.Helper()
	var hs []*tar.Header
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hs
		}
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
}

func TestTarDeterminism(t *testing.T) {
	epoch := WithSourceDateEpoch(time.Unix(1700000000, 0))
	files := []string{"b/2.txt", "a/1.txt", "c.txt", "a/sub/3.txt", "a.txt"}
	build := func(order []string, mtime time.Time) string {
		dir := t.TempDir()
		for _, f := range order {
			writeTree(t, dir, map[string]string{f: "content of " + f})
		}
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			return os.Chtimes(p, mtime, mtime)
		})
		return dir
	}
	reversed := append([]string(nil), files...)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	a := tarOf(t, build(files, time.Unix(1800000000, 0)), epoch)
	b := tarOf(t, build(reversed, time.Unix(1900000000, 0)), epoch)
	if !bytes.Equal(a, b) {
		t.Fatal("tars of the same tree created in another order with other mtimes differ")
	}
	var names []string
	for _, h := range tarHeaders(t, a) {
		names = append(names, h.Name)
		if h.ModTime.Unix() != 1700000000 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: mtime %d uid %d gid %d uname %q gname %q", h.Name, h.ModTime.Unix(), h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if h.Format != tar.FormatUSTAR {
			t.Errorf("%s written as %v, want USTAR (no PAX when not needed)", h.Name, h.Format)
		}
	}
	want := "a/ a/1.txt a/sub/ a/sub/3.txt a.txt b/ b/2.txt c.txt"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("entry order %q, want %q", got, want)
	}
	t.Run("no epoch clamps to 0", func(t *testing.T) {
		t.Setenv("SOURCE_DATE_EPOCH", "")
		for _, h := range tarHeaders(t, tarOf(t, build(files, time.Now()))) {
			if h.ModTime.Unix() != 0 {
				t.Fatalf("%s mtime %d, want 0", h.Name, h.ModTime.Unix())
			}
		}
	})
	t.Run("older mtimes are kept", func(t *testing.T) {
		for _, h := range tarHeaders(t, tarOf(t, build(files, time.Unix(1600000000, 0)), epoch)) {
			if h.ModTime.Unix() != 1600000000 {
				t.Fatalf("%s mtime %d, want 1600000000", h.Name, h.ModTime.Unix())
			}
		}
	})
}

func TestTarEntryKinds(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("n", 120) + "/" + strings.Repeat("m", 150)
	writeTree(t, dir, map[string]string{"suid": "x", "sticky/": "", "file": "hello", long: "deep"})
	for p, mode := range map[string]os.FileMode{"suid": 0o755 | os.ModeSetuid | os.ModeSetgid, "sticky": 0o777 | os.ModeSticky} {
		if err := os.Chmod(filepath.Join(dir, p), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(dir, "file"), filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("file", filepath.Join(dir, "soft")); err != nil {
		t.Fatal(err)
	}
	byName := map[string]*tar.Header{}
	for _, h := range tarHeaders(t, tarOf(t, dir)) {
		byName[h.Name] = h
	}
	for _, tc := range []struct {
		name   string
		typ    byte
		mode   int64
		link   string
		format tar.Format
	}{
		{"suid", tar.TypeReg, 0o6755, "", tar.FormatUSTAR},
		{"sticky/", tar.TypeDir, 0o1777, "", tar.FormatUSTAR},
		{"file", tar.TypeReg, 0o644, "", tar.FormatUSTAR},
		{"hard", tar.TypeLink, 0o644, "file", tar.FormatUSTAR},
		{"soft", tar.TypeSymlink, 0o777, "file", tar.FormatUSTAR},
		{long, tar.TypeReg, 0o644, "", tar.FormatPAX},
	} {
		t.Run(tc.name[:min(len(tc.name), 12)], func(t *testing.T) {
			h := byName[tc.name]
			if h == nil {
				t.Fatalf("no entry %q", tc.name)
			}
			if h.Typeflag != tc.typ || h.Mode != tc.mode || h.Linkname != tc.link || h.Format != tc.format {
				t.Fatalf("type %q mode %o link %q format %v; want %q %o %q %v", h.Typeflag, h.Mode, h.Linkname, h.Format, tc.typ, tc.mode, tc.link, tc.format)
			}
		})
	}
}
