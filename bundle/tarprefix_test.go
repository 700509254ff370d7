package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPrefixedTar(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("d", 90) + "/" + strings.Repeat("f", 90) + ".txt"
	tree(t, dir, map[string]string{"a.txt": "a", long: "long", "sub/": ""})
	if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "a.txt"), filepath.Join(dir, "sub", "hard")); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o750)
	epoch := time.Unix(1700000000, 0).UTC()
	read := func() []byte {
		p := &prefixedTar{ctx: context.Background(), dir: dir, prefix: "opt/app", mode: 0o750 | os.ModeDir, epoch: &epoch}
		defer p.Close()
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := read()
	if !bytes.Equal(b, read()) {
		t.Fatal("two tars of the same tree differ")
	}
	type entry struct {
		name, link string
		typ        byte
		mode       int64
	}
	var got []entry
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.ModTime.After(epoch) {
			t.Errorf("%s mtime %v after the epoch", h.Name, h.ModTime)
		}
		got = append(got, entry{h.Name, h.Linkname, h.Typeflag, h.Mode})
	}
	want := []entry{
		{"opt/", "", tar.TypeDir, 0o755},
		{"opt/app/", "", tar.TypeDir, 0o750},
		{"opt/app/a.txt", "", tar.TypeReg, 0o644},
		{"opt/app/" + strings.Repeat("d", 90) + "/", "", tar.TypeDir, 0o755},
		{"opt/app/" + long, "", tar.TypeReg, 0o644},
		{"opt/app/link", "a.txt", tar.TypeSymlink, 0o777},
		{"opt/app/sub/", "", tar.TypeDir, 0o755},
		{"opt/app/sub/hard", "opt/app/a.txt", tar.TypeLink, 0o644},
	}
	if len(got) != len(want) {
		t.Fatalf("entries\n got %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestPrefixedTarStops(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"big": strings.Repeat("x", 4<<20)})
	t.Run("close before reading", func(t *testing.T) {
		p := &prefixedTar{ctx: context.Background(), dir: dir, prefix: "p"}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("close mid-stream", func(t *testing.T) {
		p := &prefixedTar{ctx: context.Background(), dir: dir, prefix: "p"}
		buf := make([]byte, 1000)
		if _, err := io.ReadFull(p, buf); err != nil {
			t.Fatal(err)
		}
		p.Close() // returns only once both goroutines are gone
		if _, err := p.Read(buf); !errors.Is(err, io.ErrClosedPipe) {
			t.Fatalf("read after close: %v", err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		p := &prefixedTar{ctx: context.Background(), dir: filepath.Join(dir, "none"), prefix: "p"}
		defer p.Close()
		if _, err := io.ReadAll(p); err == nil || !strings.Contains(err.Error(), "none") {
			t.Fatalf("error %v, want one naming the directory", err)
		}
	})
}
