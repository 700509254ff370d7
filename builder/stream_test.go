package builder

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func TestLineWriter(t *testing.T) {
	var got []string
	w := &lineWriter{emit: func(l string) { got = append(got, l) }}
	io.WriteString(w, "one\ntw")
	io.WriteString(w, "o\r\nthree")
	if strings.Join(got, "|") != "one|two" {
		t.Fatalf("before flush: %q", got)
	}
	w.flush()
	if strings.Join(got, "|") != "one|two|three" {
		t.Fatalf("after flush: %q", got)
	}
	for i := range 30 {
		io.WriteString(w, strings.Repeat("x", i)+"\n")
	}
	tail := w.lastLines()
	if len(tail) != tailLines || tail[0] != strings.Repeat("x", 10) || tail[19] != strings.Repeat("x", 29) {
		t.Errorf("tail %q", tail)
	}
	long := &lineWriter{}
	io.WriteString(long, strings.Repeat("y", 70<<10))
	if l := long.lastLines(); len(l) != 1 || len(l[0]) <= 64<<10 {
		t.Errorf("a line without newline over 64 KiB is not cut: %d lines", len(l))
	}
}

func TestStepErrorMessage(t *testing.T) {
	e := &StepError{Package: "test/a@1.0", Platform: "linux/arm64", Stage: StagePrelude, Index: 2, Count: 3,
		Command: "make install", ExitCode: 2, Output: []string{"cc: error", "make: *** [all] Error 1"}}
	want := "building test/a@1.0 for linux/arm64: prelude 2 of 3 `make install` exited with code 2; its last 2 lines of output:\n  | cc: error\n  | make: *** [all] Error 1"
	if e.Error() != want {
		t.Errorf("message:\n%s\nwant:\n%s", e.Error(), want)
	}
	e.Output = nil
	if !strings.HasSuffix(e.Error(), "exited with code 2 (no output)") {
		t.Errorf("without output: %s", e.Error())
	}
}

// tarOf builds a tar stream of name → body (a name ending in "/" is a directory).
func tarOf(t testing.TB, entries ...string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; i < len(entries); i += 2 {
		name, body := entries[i], entries[i+1]
		hdr := &tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(body))}
		if strings.HasSuffix(name, "/") {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	return buf.Bytes()
}

func readTarNames(t *testing.T, r io.Reader) []string {
	t.Helper()
	tr := tar.NewReader(r)
	var out []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, hdr.Name)
	}
}

func TestRenameRoot(t *testing.T) {
	cases := []struct {
		name     string
		in       []byte
		from, to string
		want     string
		err      string
	}{
		{"file", tarOf(t, "test3", "x"), "test3", "result", "result", ""},
		{"dir", tarOf(t, "etc/", "", "etc/passwd", "root", "etc/group", "g"), "etc", "copied-etc", "copied-etc/ copied-etc/passwd copied-etc/group", ""},
		{"outside", tarOf(t, "etc/", "", "other", "x"), "etc", "e", "", `holds "other" outside "etc"`},
		{"prefix lookalike", tarOf(t, "etcetera", "x"), "etc", "e", "", "outside"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			err := renameRoot(bytes.NewReader(c.in), &out, c.from, c.to)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v; want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(readTarNames(t, &out), " "); got != c.want {
				t.Errorf("names %q, want %q", got, c.want)
			}
		})
	}
}

func TestWriteContextTar(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sub"), 0o700)
	os.WriteFile(filepath.Join(dir, "build.yaml"), []byte("steps: []"), 0o644)
	os.WriteFile(filepath.Join(dir, "collection.yaml"), []byte("packages: []"), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "run.sh"), []byte("#!/bin/sh"), 0o755)
	os.Symlink("run.sh", filepath.Join(dir, "sub", "link"))
	os.Chown(filepath.Join(dir, "sub", "run.sh"), 1234, 1234)
	var buf bytes.Buffer
	if err := writeContextTar(context.Background(), &buf, dir, []string{"collection.yaml"}); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	got := map[string]*tar.Header{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[hdr.Name] = hdr
	}
	if len(got) != 4 || got["sub/"] == nil || got["build.yaml"] == nil || got["sub/run.sh"] == nil || got["sub/link"] == nil {
		t.Fatalf("entries %v", sortedNames(got))
	}
	if h := got["sub/run.sh"]; h.Uid != 0 || h.Gid != 0 || h.Mode&0o777 != 0o755 {
		t.Errorf("run.sh: %d:%d %o; want root-owned 755", h.Uid, h.Gid, h.Mode)
	}
	if h := got["sub/link"]; h.Typeflag != tar.TypeSymlink || h.Linkname != "run.sh" {
		t.Errorf("link: %+v", h)
	}
}

func sortedNames(m map[string]*tar.Header) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestOpenArchive(t *testing.T) {
	plain := tarOf(t, "a", "hello")
	compress := map[string]func([]byte) []byte{
		"plain": func(b []byte) []byte { return b },
		"gzip": func(b []byte) []byte {
			var buf bytes.Buffer
			w := gzip.NewWriter(&buf)
			w.Write(b)
			w.Close()
			return buf.Bytes()
		},
		"bzip2": func(b []byte) []byte {
			var buf bytes.Buffer
			w, _ := bzip2.NewWriter(&buf, nil)
			w.Write(b)
			w.Close()
			return buf.Bytes()
		},
		"xz": func(b []byte) []byte {
			var buf bytes.Buffer
			w, _ := xz.NewWriter(&buf)
			w.Write(b)
			w.Close()
			return buf.Bytes()
		},
		"zstd": func(b []byte) []byte {
			var buf bytes.Buffer
			w, _ := zstd.NewWriter(&buf)
			w.Write(b)
			w.Close()
			return buf.Bytes()
		},
	}
	for name, c := range compress {
		t.Run(name, func(t *testing.T) {
			r, ok, err := openArchive(bytes.NewReader(c(plain)))
			if err != nil || !ok {
				t.Fatalf("ok %v err %v", ok, err)
			}
			if got := readTarNames(t, r); len(got) != 1 || got[0] != "a" {
				t.Errorf("names %v", got)
			}
		})
	}
	for name, data := range map[string][]byte{
		"text":          []byte("just a file\n"),
		"gzipped text":  compress["gzip"]([]byte("not a tar")),
		"broken gzip":   {0x1f, 0x8b, 0, 0},
		"short":         {1},
		"zstd non-tar":  compress["zstd"]([]byte(strings.Repeat("z", 600))),
		"empty":         {},
		"xz of nothing": compress["xz"](nil),
	} {
		t.Run(name, func(t *testing.T) {
			if _, ok, err := openArchive(bytes.NewReader(data)); ok || err != nil {
				t.Errorf("ok %v err %v; want an ordinary file", ok, err)
			}
		})
	}
}

func FuzzRenameRoot(f *testing.F) {
	f.Add(tarOf(f, "etc/", "", "etc/passwd", "root"), "etc")
	f.Add(tarOf(f, "x", "y"), "x")
	f.Fuzz(func(t *testing.T, data []byte, from string) {
		if from == "" || strings.Contains(from, "/") {
			return
		}
		var out bytes.Buffer
		if err := renameRoot(bytes.NewReader(data), &out, from, "dest"); err != nil {
			return
		}
		// Whatever passes has every name under the new root.
		tr := tar.NewReader(&out)
		for {
			hdr, err := tr.Next()
			if err != nil {
				return
			}
			if hdr.Name != "dest" && !strings.HasPrefix(hdr.Name, "dest/") {
				t.Fatalf("name %q escaped the renamed root", hdr.Name)
			}
		}
	})
}

func FuzzOpenArchive(f *testing.F) {
	f.Add(tarOf(f, "a", "hello"))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0})
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ok, err := openArchive(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("openArchive never fails, it falls back to an ordinary file: %v", err)
		}
		if ok {
			io.Copy(io.Discard, io.LimitReader(r, 1<<20))
		}
	})
}

func FuzzReadMetadata(f *testing.F) {
	f.Add([]byte(`{"fingerprint":"a-test-1.0","cache_key":"sha256:00","artifact":"a.package.tar.zst","checksums":{"sha256":"00"},"files":["a"]}`))
	f.Add([]byte(`{"surprise":true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "m.metadata.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := readMetadata(p)
		if err != nil {
			return
		}
		// What decodes writes back and decodes to the same artifact name and key.
		q := filepath.Join(t.TempDir(), "n.metadata.json")
		if err := writeMetadata(q, m); err != nil {
			t.Fatal(err)
		}
		m2, err := readMetadata(q)
		if err != nil || m2.Artifact != m.Artifact || m2.CacheKey != m.CacheKey {
			t.Fatalf("round trip: %v %+v", err, m2)
		}
	})
}
