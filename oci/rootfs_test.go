package oci

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/flavor-dev/flavor/platform"
)

// makeRootFS writes a small root filesystem with a file, a symlink, a hard link, a setuid file,
// a nested directory and an owner other than the current user's (when running as root).
func makeRootFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"bin", "etc", "usr/bin", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, content string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("bin/sh", "#!fake shell\n", 0o755)
	write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0o644)
	write("usr/bin/su", "setuid\n", 0o755|os.ModeSetuid)
	if err := os.Symlink("/bin/sh", filepath.Join(dir, "usr/bin/sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "bin/sh"), filepath.Join(dir, "bin/ash")); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if err := os.Lchown(filepath.Join(dir, "etc/passwd"), 1234, 5678); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func layerEntries(t *testing.T, img v1.Image) []*tar.Header {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out []*tar.Header
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
}

func TestNewBaseImageIsDeterministic(t *testing.T) {
	ctx := context.Background()
	root := makeRootFS(t)
	p := platform.MustParse("linux/arm64")
	a, err := NewBaseImage(ctx, root, p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// Touch every file: mtimes after the epoch are clamped, so the digest must not move.
	later := time.Now().Add(time.Hour)
	filepath.Walk(root, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, later, later) })
	b, err := NewBaseImage(ctx, root, p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Fatalf("two imports of one rootfs differ: %s vs %s", da, db)
	}
	if err := validate.Image(a); err != nil {
		t.Fatalf("image does not validate: %v", err)
	}

	// A tar of the same tree gives the same image.
	tarFile := filepath.Join(t.TempDir(), "rootfs.tar.gz")
	if out, err := exec.Command("tar", "-C", root, "-czf", tarFile, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	c, err := NewBaseImage(ctx, tarFile, p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dc, _ := c.Digest()
	if dc != da {
		t.Fatalf("tar import %s differs from directory import %s", dc, da)
	}

	// A different epoch, platform or content gives a different image.
	d, err := NewBaseImage(ctx, root, platform.MustParse("linux/amd64"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if dd, _ := d.Digest(); dd == da {
		t.Fatal("amd64 and arm64 images have the same digest")
	}
	e, err := NewBaseImage(ctx, root, p, WithSourceDateEpoch(time.Unix(1700000000, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if de, _ := e.Digest(); de == da {
		t.Fatal("a different SOURCE_DATE_EPOCH gave the same digest")
	}
}

func TestNewBaseImageContent(t *testing.T) {
	root := makeRootFS(t)
	img, err := NewBaseImage(context.Background(), root, platform.MustParse("linux/arm64/v8"), WithSourceDateEpoch(time.Unix(1000, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "arm64" || cf.Variant != "" {
		t.Fatalf("config platform %s/%s/%s", cf.OS, cf.Architecture, cf.Variant)
	}
	if strings.Join(cf.Config.Cmd, " ") != "/bin/sh" || len(cf.Config.Env) != 1 || cf.Config.Env[0] != "PATH="+DefaultPath {
		t.Fatalf("config cmd %v env %v", cf.Config.Cmd, cf.Config.Env)
	}
	if !cf.Created.Time.Equal(time.Unix(1000, 0)) {
		t.Fatalf("created %s", cf.Created.Time)
	}
	hdrs := layerEntries(t, img)
	var names []string
	byName := map[string]*tar.Header{}
	for _, h := range hdrs {
		names = append(names, h.Name)
		byName[h.Name] = h
		if h.ModTime.After(time.Unix(1000, 0)) {
			t.Errorf("%s has mtime %s after the epoch", h.Name, h.ModTime)
		}
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s carries owner names %q/%q", h.Name, h.Uname, h.Gname)
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Fatalf("entries not sorted: %v", names)
	}
	if h := byName["usr/bin/su"]; h == nil || h.Mode&0o4000 == 0 {
		t.Fatalf("setuid bit lost: %+v", h)
	}
	if h := byName["usr/bin/sh"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "/bin/sh" {
		t.Fatalf("symlink: %+v", h)
	}
	if h := byName["bin/sh"]; h == nil || h.Typeflag != tar.TypeLink || h.Linkname != "bin/ash" {
		t.Fatalf("hard link (second in order) should link to bin/ash: %+v", h)
	}
	if os.Getuid() == 0 {
		if h := byName["etc/passwd"]; h.Uid != 1234 || h.Gid != 5678 {
			t.Fatalf("owner not kept: %d:%d", h.Uid, h.Gid)
		}
	}
	if _, ok := byName["tmp/"]; !ok {
		t.Fatalf("directory entry missing: %v", names)
	}
}

func TestNewBaseImageRejects(t *testing.T) {
	ctx := context.Background()
	evil := filepath.Join(t.TempDir(), "evil.tar")
	f, _ := os.Create(evil)
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "../escape", Mode: 0o644, Typeflag: tar.TypeReg})
	tw.Close()
	f.Close()
	tests := []struct {
		name, src string
		p         platform.Platform
		want      string
	}{
		{"missing source", "/nonexistent/rootfs", platform.MustParse("linux/amd64"), "no such file"},
		{"no platform", t.TempDir(), platform.Platform{}, "no platform"},
		{"escaping tar", evil, platform.MustParse("linux/amd64"), "unsafe path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := NewBaseImage(ctx, tc.src, tc.p)
			if err == nil {
				img.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.src) {
				t.Fatalf("error %q does not say %q and name %s", err, tc.want, tc.src)
			}
		})
	}
}

func TestEnvironmentNotRead(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "86400")
	img, err := NewBaseImage(context.Background(), makeRootFS(t), platform.MustParse("linux/amd64"))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	cf, _ := img.ConfigFile()
	if cf.Created.Unix() != 0 {
		t.Fatalf("created %s: the library read SOURCE_DATE_EPOCH; only WithSourceDateEpoch may set it", cf.Created.Time)
	}
}

func FuzzSpoolTar(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := spoolTar(context.Background(), tar.NewReader(strings.NewReader(string(b))), io.Discard)
		if err != nil {
			return
		}
		for name, e := range entries {
			if strings.HasPrefix(name, "/") || strings.Contains("/"+name, "/../") || e.hdr.Size < 0 {
				t.Fatalf("unsafe entry kept: %q", name)
			}
		}
	})
}
