package delta

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"
)

// parentArtifact is an unpack artifact like Luet's subpackage fixture: busybox with /usr and /var.
func parentArtifact(t *testing.T) []byte {
	t.Helper()
	in := writeTestTar(t, []tarEntry{
		{name: "bin/", typ: tar.TypeDir},
		{name: "bin/busybox", typ: tar.TypeReg, body: "BB", mode: 0o755},
		{name: "usr/", typ: tar.TypeDir, mode: 0o700, uid: 100, gid: 100},
		{name: "usr/bin/", typ: tar.TypeDir},
		{name: "usr/bin/cksum", typ: tar.TypeLink, link: "bin/busybox"},
		{name: "usr/bin/env", typ: tar.TypeSymlink, link: "../../bin/busybox", mode: 0o777},
		{name: "var/", typ: tar.TypeDir},
		{name: "var/lib/", typ: tar.TypeDir},
		{name: "var/lib/state", typ: tar.TypeReg, body: "s"},
	})
	tree, err := FromTar(context.Background(), bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	var buf bytes.Buffer
	if _, err := tree.WriteArtifact(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCarve(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want []string
	}{{
		name: "baz includes usr/bin/cksum; the hard link's target stays behind",
		opts: []Option{WithIncludes(res(`usr/bin/cksum`)...)},
		want: []string{`/usr d 0700 100:100`, `/usr/bin d 0755 0:0`, `/usr/bin/cksum f 0755 0:0 "BB"`},
	}, {
		name: "bar excludes ^/usr",
		opts: []Option{WithExcludes(res(`^/usr`)...)},
		want: []string{`/bin d 0755 0:0`, `/bin/busybox f 0755 0:0 "BB"`, `/var d 0755 0:0`, `/var/lib d 0755 0:0`, `/var/lib/state f 0644 0:0 "s"`},
	}, {
		name: "foo excludes ^/var; hard links within the subpackage stay links",
		opts: []Option{WithExcludes(res(`^/var`)...)},
		want: []string{
			`/bin d 0755 0:0`, `/bin/busybox f 0755 0:0 "BB"`, `/usr d 0700 100:100`, `/usr/bin d 0755 0:0`,
			`/usr/bin/cksum h 0755 0:0 -> /bin/busybox`, `/usr/bin/env l 0777 0:0 -> ../../bin/busybox`,
		},
	}, {
		name: "the parent: everything",
		want: []string{
			`/bin d 0755 0:0`, `/bin/busybox f 0755 0:0 "BB"`, `/usr d 0700 100:100`, `/usr/bin d 0755 0:0`,
			`/usr/bin/cksum h 0755 0:0 -> /bin/busybox`, `/usr/bin/env l 0777 0:0 -> ../../bin/busybox`,
			`/var d 0755 0:0`, `/var/lib d 0755 0:0`, `/var/lib/state f 0644 0:0 "s"`,
		},
	}}
	art := parentArtifact(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := Carve(context.Background(), bytes.NewReader(art), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			diffLines(t, "entries", describe(t, sub), tt.want)
		})
	}
}

func TestCarveKeepsPathsAWholeFilesystemDeltaWouldDrop(t *testing.T) {
	// A package_dir artifact may hold tmp/ or dev/ relative to its directory; carving must not
	// apply the container rules again.
	in := writeTestTar(t, []tarEntry{
		{name: "tmp/", typ: tar.TypeDir},
		{name: "tmp/x", typ: tar.TypeReg, body: "x"},
		{name: "dev/", typ: tar.TypeDir},
		{name: "dev/y", typ: tar.TypeReg, body: "y"},
	})
	sub, err := Carve(context.Background(), bytes.NewReader(in), WithPackageDir("/ignored"), WithTarRoot("/ignored"))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	diffLines(t, "entries", describe(t, sub), []string{`/dev d 0755 0:0`, `/dev/y f 0644 0:0 "y"`, `/tmp d 0755 0:0`, `/tmp/x f 0644 0:0 "x"`})
}
