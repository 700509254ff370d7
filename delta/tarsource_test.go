package delta

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"testing"
)

// exportTar is a small container export: what `docker export` streams for a busybox-like root.
func exportTar(t *testing.T) []byte {
	return writeTestTar(t, []tarEntry{
		{name: "./", typ: tar.TypeDir},
		{name: ".dockerenv", typ: tar.TypeReg, mode: 0o755},
		{name: "bin/", typ: tar.TypeDir, mode: 0o711, uid: 3, gid: 4},
		{name: "bin/busybox", typ: tar.TypeReg, body: "BB", mode: 0o4755},
		{name: "bin/sh", typ: tar.TypeLink, link: "bin/busybox"},
		{name: "bin/ls", typ: tar.TypeSymlink, link: "busybox", mode: 0o777},
		{name: "dev/", typ: tar.TypeDir},
		{name: "dev/console", typ: tar.TypeReg, mode: 0o755},
		{name: "etc/", typ: tar.TypeDir},
		{name: "etc/hosts", typ: tar.TypeReg},
		{name: "etc/mtab", typ: tar.TypeSymlink, link: "/proc/mounts", mode: 0o777},
		{name: "etc/passwd", typ: tar.TypeReg, body: "root\n"},
		{name: "luetbuild/", typ: tar.TypeDir},
		{name: "luetbuild/build.yaml", typ: tar.TypeReg, body: "steps: []\n"},
		{name: "proc/", typ: tar.TypeDir},
		{name: "tmp/", typ: tar.TypeDir, mode: 0o1777},
		{name: "tmp/x", typ: tar.TypeReg, body: "x"},
	})
}

func TestFromTar(t *testing.T) {
	tests := []struct {
		name  string
		input []tarEntry // nil: exportTar
		opts  []Option
		want  []string
	}{{
		name: "unpack keeps the whole filesystem but engine paths, the build directory and /tmp",
		want: []string{
			`/bin d 0711 3:4`, `/bin/busybox f 4755 0:0 "BB"`, `/bin/ls l 0777 0:0 -> busybox`, `/bin/sh h 4755 0:0 -> /bin/busybox`,
			`/etc d 0755 0:0`, `/etc/passwd f 0644 0:0 "root\n"`,
		},
	}, {
		name: "an image's own /etc/mtab counts; only the engine's link to /proc/mounts does not",
		input: []tarEntry{
			{name: "etc/", typ: tar.TypeDir},
			{name: "etc/mtab", typ: tar.TypeSymlink, link: "../proc/self/mounts", mode: 0o777},
		},
		want: []string{`/etc d 0755 0:0`, `/etc/mtab l 0777 0:0 -> ../proc/self/mounts`},
	}, {
		name: "a kept hard link whose target is dropped becomes a regular file",
		opts: []Option{WithIncludes(res(`^/bin/sh$`)...)},
		want: []string{`/bin d 0711 3:4`, `/bin/sh f 4755 0:0 "BB"`},
	}, {
		name: "includes name /tmp",
		opts: []Option{WithIncludes(res(`^/tmp`)...)},
		want: []string{`/tmp d 1777 0:0`, `/tmp/x f 0644 0:0 "x"`},
	}, {
		name: "package_dir re-roots and ignores /foobar",
		input: []tarEntry{
			{name: "foo/", typ: tar.TypeDir, mode: 0o700},
			{name: "foo/test1", typ: tar.TypeReg, body: "1"},
			{name: "foo/test2", typ: tar.TypeReg, body: "2"},
			{name: "foo/sub/", typ: tar.TypeDir, uid: 9, gid: 9},
			{name: "foo/sub/x", typ: tar.TypeReg, body: "x"},
			{name: "foo/tmp/", typ: tar.TypeDir},
			{name: "foo/tmp/t", typ: tar.TypeReg, body: "t"},
			{name: "foobar/", typ: tar.TypeDir},
			{name: "foobar/y", typ: tar.TypeReg, body: "y"},
			{name: "other", typ: tar.TypeReg, body: "o"},
		},
		opts: []Option{WithPackageDir("/foo")},
		want: []string{`/sub d 0755 9:9`, `/sub/x f 0644 0:0 "x"`, `/test1 f 0644 0:0 "1"`, `/test2 f 0644 0:0 "2"`, `/tmp d 0755 0:0`, `/tmp/t f 0644 0:0 "t"`},
	}, {
		name: "package_dir patterns see the path relative to the directory",
		input: []tarEntry{
			{name: "foo/", typ: tar.TypeDir},
			{name: "foo/test5", typ: tar.TypeReg, body: "5"},
			{name: "foo/test6", typ: tar.TypeReg, body: "6"},
			{name: "foo/artifact42", typ: tar.TypeReg, body: "42"},
			{name: "foo/foo/test5", typ: tar.TypeReg, body: "nested"},
		},
		opts: []Option{WithPackageDir("/foo/"), WithIncludes(res(`^/test5$`)...)},
		want: []string{`/test5 f 0644 0:0 "5"`},
	}, {
		name: "a stream of one directory with its own root",
		input: []tarEntry{
			{name: "pkg/", typ: tar.TypeDir},
			{name: "pkg/doc", typ: tar.TypeReg, body: "d"},
			{name: "pkg/link", typ: tar.TypeLink, link: "pkg/doc"},
		},
		opts: []Option{WithTarRoot("/usr/share"), WithPackageDir("/usr/share/pkg")},
		want: []string{`/doc f 0644 0:0 "d"`, `/link h 0644 0:0 -> /doc`},
	}, {
		name:  "a parent the stream lacks is made as a plain directory",
		input: []tarEntry{{name: "a/b/c", typ: tar.TypeReg, body: "c"}},
		want:  []string{`/a d 0755 0:0`, `/a/b d 0755 0:0`, `/a/b/c f 0644 0:0 "c"`},
	}, {
		name: "devices and fifos",
		input: []tarEntry{
			{name: "n/", typ: tar.TypeDir},
			{name: "n/fifo", typ: tar.TypeFifo, mode: 0o600},
		},
		want: []string{`/n d 0755 0:0`, `/n/fifo p 0600 0:0`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := exportTar(t)
			if tt.input != nil {
				in = writeTestTar(t, tt.input)
			}
			tree, err := FromTar(context.Background(), bytes.NewReader(in), append(tt.opts, WithTempDir(t.TempDir()))...)
			if err != nil {
				t.Fatal(err)
			}
			defer tree.Close()
			diffLines(t, "entries", describe(t, tree), tt.want)
			if len(tree.Removed()) != 0 {
				t.Errorf("a whole-filesystem tree lists removals: %q", tree.Removed())
			}
		})
	}
}

func TestFromTarErrors(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		is    error
	}{
		{"hard link to nothing", writeTestTar(t, []tarEntry{{name: "a", typ: tar.TypeLink, link: "missing"}}), ErrUnsupportedEntry},
		{"unknown type", writeTestTar(t, []tarEntry{{name: "a", typ: 'Z'}}), ErrUnsupportedEntry},
		{"truncated", exportTar(t)[:700], nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := FromTar(context.Background(), bytes.NewReader(tt.input))
			if err == nil {
				tree.Close()
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
		})
	}
}
