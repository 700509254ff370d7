package delta

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
	"syscall"
	"testing"
)

// dirSource is a ChangeSource over two directories standing for the container's filesystem and
// the builder's, streaming single paths the way an engine's archive endpoint does: the first
// entry is the path itself, named by its base name, a directory's contents follow.
type dirSource struct {
	container, base string
	changes         []Change
	read            []string // paths read from the container, in order
}

func (s *dirSource) Changes(context.Context) ([]Change, error) { return s.changes, nil }

func (s *dirSource) ReadPath(_ context.Context, p string) (io.ReadCloser, error) {
	s.read = append(s.read, p)
	return tarOfPath(s.container, p)
}

func (s *dirSource) ReadBasePath(_ context.Context, p string) (io.ReadCloser, error) {
	return tarOfPath(s.base, p)
}

func tarOfPath(root, p string) (io.ReadCloser, error) {
	host := filepath.Join(root, p)
	if _, err := os.Lstat(host); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.Walk(host, func(h string, fi fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(host, h)
		name := path.Join(path.Base(p), filepath.ToSlash(rel))
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(h); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		hdr.Name = name
		st := fi.Sys().(*syscall.Stat_t)
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = int(st.Uid), int(st.Gid), "", ""
		hdr.Mode = int64(st.Mode) // with the type bits, as Docker sends it
		if c, err := getXattr(h, xattrCapability); err == nil {
			hdr.PAXRecords = map[string]string{paxXattr + xattrCapability: string(c)}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(h)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}

func TestFromChanges(t *testing.T) {
	capHex := fmt.Sprintf("%x", capNetRaw())
	C := func(kind ChangeKind, paths ...string) []Change {
		var out []Change
		for _, p := range paths {
			out = append(out, Change{Path: p, Kind: kind})
		}
		return out
	}
	cat := func(lists ...[]Change) []Change {
		var out []Change
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	tests := []struct {
		name        string
		change      func(c layout)
		changes     []Change
		opts        []Option
		want        []string
		wantRemoved []string
		wantRead    []string // checked when not nil, or when noReads
		noReads     bool
	}{{
		name:     "added file",
		change:   func(c layout) { c.file("/hello", "hi\n", 0o644, 0, 0) },
		changes:  C(ChangeAdd, "/hello"),
		want:     []string{`/hello f 0644 0:0 "hi\n"`},
		wantRead: []string{"/hello"},
	}, {
		name: "modified content with its parent",
		change: func(c layout) {
			c.file("/etc/passwd", "root:x:0:0::/root:/bin/sh\nx\n", 0o644, 0, 0).mtime("/etc", later)
		},
		changes:  cat(C(ChangeModify, "/etc", "/etc/passwd")),
		want:     []string{`/etc d 0755 0:0`, `/etc/passwd f 0644 0:0 "root:x:0:0::/root:/bin/sh\nx\n"`},
		wantRead: []string{"/etc", "/etc/passwd"},
	}, {
		name:    "parent read when the change list does not name it",
		change:  func(c layout) { c.file("/usr/bin/new", "n", 0o755, 0, 0) },
		changes: C(ChangeAdd, "/usr/bin/new"),
		want:    []string{`/usr d 0755 0:0`, `/usr/bin d 0755 0:0`, `/usr/bin/new f 0755 0:0 "n"`},
	}, {
		name:    "identical bytes, new mtime",
		change:  func(c layout) { c.mtime("/etc/passwd", later).mtime("/etc", later) },
		changes: C(ChangeModify, "/etc", "/etc/passwd"),
	}, {
		name:    "mode and owner",
		change:  func(c layout) { c.file("/bin/sh", "#!sh\n", 0o700, 0, 0).file("/bin/ls", "ls\n", 0o755, 100, 100) },
		changes: C(ChangeModify, "/bin", "/bin/ls", "/bin/sh"),
		want:    []string{`/bin d 0755 0:0`, `/bin/ls f 0755 100:100 "ls\n"`, `/bin/sh f 0700 0:0 "#!sh\n"`},
	}, {
		name:        "deleted",
		change:      func(c layout) { c.must(os.RemoveAll(c.host("/var/cache"))) },
		changes:     cat(C(ChangeModify, "/var"), C(ChangeDelete, "/var/cache", "/var/cache/a", "/var/cache/b")),
		wantRemoved: []string{"/var/cache"},
	}, {
		name: "symlink retargeted and capability",
		change: func(c layout) {
			c.must(os.Remove(c.host("/bin/sh2")))
			c.symlink("/bin/sh2", "ls").xattr("/bin/ls", xattrCapability, capNetRaw())
		},
		changes: C(ChangeModify, "/bin", "/bin/ls", "/bin/sh2"),
		want:    []string{`/bin d 0755 0:0`, `/bin/ls f 0755 0:0 "ls\n" cap=` + capHex, `/bin/sh2 l 0777 0:0 -> ls`},
	}, {
		name:    "build directory and /tmp are not even read",
		change:  func(c layout) { c.file("/tmp/x", "x", 0o644, 0, 0).file("/luetbuild/o", "o", 0o644, 0, 0) },
		changes: cat(C(ChangeModify, "/tmp", "/luetbuild"), C(ChangeAdd, "/tmp/x", "/luetbuild/o")),
		noReads: true,
	}, {
		name:     "added only",
		change:   func(c layout) { c.file("/etc/passwd", "x", 0o644, 0, 0).file("/etc/new", "n", 0o644, 0, 0) },
		changes:  cat(C(ChangeModify, "/etc", "/etc/passwd"), C(ChangeAdd, "/etc/new"), C(ChangeDelete, "/bin/ls")),
		opts:     []Option{WithAddedOnly()},
		want:     []string{`/etc d 0755 0:0`, `/etc/new f 0644 0:0 "n"`},
		wantRead: []string{"/etc/new", "/etc"},
	}, {
		name:    "hard links arrive as separate regular files",
		change:  func(c layout) { c.file("/a", "same", 0o644, 0, 0).hardlink("/a", "/b") },
		changes: C(ChangeAdd, "/a", "/b"),
		want:    []string{`/a f 0644 0:0 "same"`, `/b f 0644 0:0 "same"`},
	}, {
		name:    "modified but absent from the builder",
		change:  func(c layout) { c.file("/odd", "o", 0o644, 0, 0) },
		changes: C(ChangeModify, "/odd"),
		want:    []string{`/odd f 0644 0:0 "o"`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, ctr := baseLower(t), baseLower(t)
			tt.change(ctr)
			src := &dirSource{container: ctr.root, base: base.root, changes: tt.changes}
			tree, err := FromChanges(context.Background(), src, append(tt.opts, WithTempDir(t.TempDir()))...)
			if err != nil {
				t.Fatal(err)
			}
			defer tree.Close()
			diffLines(t, "entries", describe(t, tree), tt.want)
			diffLines(t, "removed", tree.Removed(), tt.wantRemoved)
			if tt.wantRead != nil || tt.noReads {
				diffLines(t, "paths read", src.read, tt.wantRead)
			}
		})
	}
}

type failingSource struct{ dirSource }

func (failingSource) ReadPath(context.Context, string) (io.ReadCloser, error) {
	return nil, errors.New("engine went away")
}

func TestFromChangesErrors(t *testing.T) {
	src := &failingSource{dirSource{changes: []Change{{Path: "/x", Kind: ChangeAdd}}}}
	_, err := FromChanges(context.Background(), src)
	if err == nil || err.Error() != "reading /x from the container: engine went away" {
		t.Errorf("err = %v", err)
	}
	src.changes = []Change{{Path: "relative", Kind: ChangeAdd}}
	if _, err := FromChanges(context.Background(), src); err == nil {
		t.Error("a relative path in the change list was accepted")
	}
	src.changes = []Change{{Path: "/x", Kind: 7}}
	if _, err := FromChanges(context.Background(), src); err == nil {
		t.Error("an unknown change kind was accepted")
	}
}
