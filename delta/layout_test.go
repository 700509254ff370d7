package delta

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// layout builds a directory tree for tests: a lower layer, an upper directory or a container's
// merged view. Every call fails the test on error. Times default to a fixed instant so that
// tests opt in to differences.
type layout struct {
	t    *testing.T
	root string
}

var baseTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func newLayout(t *testing.T) layout {
	t.Helper()
	return layout{t: t, root: t.TempDir()}
}

func (l layout) host(p string) string { return filepath.Join(l.root, p) }

func (l layout) must(err error) {
	l.t.Helper()
	if err != nil {
		l.t.Fatal(err)
	}
}

// dir makes p (and missing parents as 0755 root) with mode and owner.
func (l layout) dir(p string, mode os.FileMode, uid, gid int) layout {
	l.t.Helper()
	h := l.host(p)
	l.must(os.MkdirAll(h, 0o755))
	l.must(os.Lchown(h, uid, gid))
	l.must(os.Chmod(h, osMode(mode)))
	l.must(os.Chtimes(h, baseTime, baseTime))
	return l
}

// file writes p with content, mode (with setuid/setgid/sticky as fs bits) and owner.
func (l layout) file(p, content string, mode os.FileMode, uid, gid int) layout {
	l.t.Helper()
	h := l.host(p)
	l.must(os.MkdirAll(filepath.Dir(h), 0o755))
	l.must(os.WriteFile(h, []byte(content), 0o600))
	l.must(os.Lchown(h, uid, gid))
	l.must(os.Chmod(h, osMode(mode)))
	l.must(os.Chtimes(h, baseTime, baseTime))
	return l
}

// osMode lets tests write raw setuid/setgid/sticky bits (0o4755) as well as os.Mode bits.
func osMode(m os.FileMode) os.FileMode {
	return fileMode(int64(m&0o7777)) | m&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)
}

func (l layout) symlink(p, target string) layout {
	l.t.Helper()
	h := l.host(p)
	l.must(os.MkdirAll(filepath.Dir(h), 0o755))
	l.must(os.Symlink(target, h))
	return l
}

func (l layout) hardlink(existing, p string) layout {
	l.t.Helper()
	l.must(os.Link(l.host(existing), l.host(p)))
	return l
}

// whiteout makes the overlay whiteout of p: a character device 0/0.
func (l layout) whiteout(p string) layout {
	l.t.Helper()
	h := l.host(p)
	l.must(os.MkdirAll(filepath.Dir(h), 0o755))
	l.must(unix.Mknod(h, unix.S_IFCHR|0o000, 0))
	return l
}

func (l layout) xattr(p, key string, val []byte) layout {
	l.t.Helper()
	l.must(unix.Lsetxattr(l.host(p), key, val, 0))
	return l
}

func (l layout) opaque(p string) layout { return l.xattr(p, "trusted.overlay.opaque", []byte("y")) }

func (l layout) mtime(p string, t time.Time) layout {
	l.t.Helper()
	l.must(os.Chtimes(l.host(p), t, t))
	return l
}

// capNetRaw is a version-2 security.capability value granting cap_net_raw=ep.
func capNetRaw() []byte {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], 0x02000001) // revision 2, effective
	binary.LittleEndian.PutUint32(b[4:], 1<<13)      // permitted: cap_net_raw
	return b
}

// baseLower is a small builder root filesystem, like an image's single layer.
func baseLower(t *testing.T) layout {
	l := newLayout(t)
	l.dir("/bin", 0o755, 0, 0).file("/bin/sh", "#!sh\n", 0o755, 0, 0).file("/bin/ls", "ls\n", 0o755, 0, 0)
	l.symlink("/bin/sh2", "sh")
	l.dir("/etc", 0o755, 0, 0).file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644, 0, 0)
	l.file("/etc/group", "root:x:0:\n", 0o644, 0, 0)
	l.dir("/usr/bin", 0o755, 0, 0).file("/usr/bin/tool", "tool\n", 0o755, 0, 0)
	l.dir("/var/cache", 0o755, 0, 0).file("/var/cache/a", "a\n", 0o644, 0, 0).file("/var/cache/b", "b\n", 0o644, 0, 0)
	l.dir("/tmp", 0o777|os.ModeSticky, 0, 0).dir("/home", 0o755, 0, 0)
	l.dir("/luetbuild", 0o755, 0, 0).file("/luetbuild/build.yaml", "steps: []\n", 0o644, 0, 0)
	for _, d := range []string{"/", "/usr", "/var"} {
		l.mtime(d, baseTime)
	}
	return l
}

// describe renders a tree's entries one per line: path, type, mode, owner and what the entry
// holds (content, link target, capability).
func describe(t *testing.T, tree *Tree) []string {
	t.Helper()
	var out []string
	for _, e := range tree.Entries() {
		line := fmt.Sprintf("%s %s %04o %d:%d", e.Path, typeName(e.Type), e.Mode, e.UID, e.GID)
		switch e.Type {
		case tar.TypeReg:
			rc, err := e.Open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			line += fmt.Sprintf(" %q", b)
		case tar.TypeSymlink, tar.TypeLink:
			line += " -> " + e.Linkname
		case tar.TypeChar, tar.TypeBlock:
			line += fmt.Sprintf(" %d,%d", e.Devmajor, e.Devminor)
		}
		if c, ok := e.Xattrs[xattrCapability]; ok {
			line += fmt.Sprintf(" cap=%x", c)
		}
		out = append(out, line)
	}
	return out
}

func typeName(b byte) string {
	switch b {
	case tar.TypeReg:
		return "f"
	case tar.TypeDir:
		return "d"
	case tar.TypeSymlink:
		return "l"
	case tar.TypeLink:
		return "h"
	case tar.TypeChar:
		return "c"
	case tar.TypeBlock:
		return "b"
	case tar.TypeFifo:
		return "p"
	}
	return string(b)
}

func diffLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func res(patterns ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		out[i] = regexp.MustCompile(p)
	}
	return out
}

// tarEntry is one entry of a tar stream written by writeTestTar.
type tarEntry struct {
	name, body, link string
	typ              byte
	mode             int64
	uid, gid         int
}

func writeTestTar(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid, Linkname: e.link, ModTime: baseTime}
		if e.typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
			if e.typ == tar.TypeDir {
				hdr.Mode = 0o755
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
