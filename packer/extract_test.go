package packer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/ops"
)

// tarEntry is one entry of a hand-made (possibly hostile) tar.
type tarEntry struct {
	name, link, body string
	typ              byte
	mode             int64
}

func makeTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: mode, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func packageWithSlot(t testing.TB, s craftSlot) *Package {
	t.Helper()
	b := craft{align: 8, envKey: "env", slots: []craftSlot{s}}.build(t)
	p, err := NewPackage(context.Background(), bytes.NewReader(b), int64(len(b)), WithName("hostile.psp"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHostileSlots(t *testing.T) {
	ctx := context.Background()
	reg := func(name string) tarEntry { return tarEntry{name: name, typ: tar.TypeReg, body: "pwned"} }
	for _, tc := range []struct {
		name    string
		entries []tarEntry
		target  string
		prepare func(t *testing.T, base, dest string) // set up the disk before extraction
		entry   string                                // the entry the error must name
	}{
		{"dot-dot file", []tarEntry{reg("ok.txt"), reg("../evil")}, "{workenv}", nil, "../evil"},
		{"dot-dot inside the name", []tarEntry{reg("a/../../evil")}, "{workenv}", nil, "a/../../evil"},
		{"absolute file", []tarEntry{reg("/etc/evil")}, "{workenv}", nil, "/etc/evil"},
		{"symlink out of the destination, then a file through it", []tarEntry{
			{name: "link", link: "../outside", typ: tar.TypeSymlink}, reg("link/evil")}, "{workenv}", nil, "link"},
		{"absolute symlink", []tarEntry{{name: "link", link: "/etc", typ: tar.TypeSymlink}}, "{workenv}", nil, "link"},
		{"file through an inside symlink", []tarEntry{
			{name: "sub/", typ: tar.TypeDir, mode: 0o755}, {name: "link", link: "sub", typ: tar.TypeSymlink}, reg("link/evil")},
			"{workenv}", nil, "link/evil"},
		{"symlink escaping through another symlink", []tarEntry{
			{name: "a/", typ: tar.TypeDir, mode: 0o755}, {name: "a/up", link: "..", typ: tar.TypeSymlink},
			{name: "b", link: "a/up/..", typ: tar.TypeSymlink}}, "{workenv}", nil, "b"},
		{"hard link to /etc/passwd", []tarEntry{{name: "passwd", link: "/etc/passwd", typ: tar.TypeLink}}, "{workenv}", nil, "passwd"},
		{"hard link climbing out", []tarEntry{{name: "passwd", link: "../../../../etc/passwd", typ: tar.TypeLink}}, "{workenv}", nil, "passwd"},
		{"character device", []tarEntry{reg("ok"), {name: "null", typ: tar.TypeChar}}, "{workenv}", nil, "null"},
		{"block device", []tarEntry{{name: "sda", typ: tar.TypeBlock}}, "{workenv}", nil, "sda"},
		{"fifo", []tarEntry{{name: "pipe", typ: tar.TypeFifo}}, "{workenv}", nil, "pipe"},
		{"target outside", []tarEntry{reg("x")}, "../elsewhere/app", nil, "../elsewhere/app"},
		{"symlink already on disk pointing out", []tarEntry{reg("pre/evil")}, "{workenv}",
			func(t *testing.T, base, dest string) {
				if err := os.Symlink(filepath.Join(base, "outside"), filepath.Join(dest, "pre")); err != nil {
					t.Fatal(err)
				}
			}, "pre/evil"},
		{"symlink through a disk symlink in a directory the archive lists", []tarEntry{
			{name: "d/", typ: tar.TypeDir, mode: 0o755}, {name: "x", link: "d/up/outside", typ: tar.TypeSymlink}}, "{workenv}",
			func(t *testing.T, base, dest string) {
				if err := os.Mkdir(filepath.Join(dest, "d"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("../..", filepath.Join(dest, "d/up")); err != nil {
					t.Fatal(err)
				}
			}, "x"},
		{"file under a file of the archive", []tarEntry{reg("a"), reg("a/b")}, "{workenv}", nil, "a/b"},
		{"symlink through a missing directory, then out", []tarEntry{
			{name: "x", link: "missing/deeper/../../../outside", typ: tar.TypeSymlink}}, "{workenv}", nil, "x"},
	} {
		for _, staging := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, staging %v", tc.name, staging), func(t *testing.T) {
				base := t.TempDir()
				dest := filepath.Join(base, "dest")
				writeTree(t, base, map[string]string{"outside/keep.txt": "untouched"})
				if err := os.MkdirAll(dest, 0o700); err != nil {
					t.Fatal(err)
				}
				if tc.prepare != nil {
					tc.prepare(t, base, dest)
				}
				before := treeState(t, base)
				p := packageWithSlot(t, craftSlot{id: "evil", target: tc.target, content: makeTar(t, tc.entries...), ops: ops.Chain{ops.Tar}, perm: 0o644})
				_, err := p.ExtractSlot(ctx, 0, dest, WithStagingDest(staging))
				if !errors.Is(err, ErrUnsafeEntry) {
					t.Fatalf("ExtractSlot: %v, want ErrUnsafeEntry", err)
				}
				if msg := err.Error(); !strings.Contains(msg, "slot 0 (evil) of hostile.psp") || !strings.Contains(msg, tc.entry) {
					t.Fatalf("error %q does not name the slot and %q", msg, tc.entry)
				}
				after := treeState(t, base)
				if staging { // entries before the hostile one may be in dest: compare the rest
					for name := range after {
						if _, was := before[name]; !was && strings.HasPrefix(name, "dest/") {
							delete(after, name)
						}
					}
				}
				sameTree(t, after, before) // default: nothing written anywhere, inside or out
				if _, err := os.Lstat("/etc/evil"); err == nil {
					t.Fatal("/etc/evil exists")
				}
			})
		}
	}
}

func TestHostileSingleFileTargets(t *testing.T) {
	ctx := context.Background()
	for _, target := range []string{"../evil", "/etc/evil", "{workenv}/../evil", "a/../../evil"} {
		t.Run(target, func(t *testing.T) {
			base := t.TempDir()
			dest := filepath.Join(base, "dest")
			p := packageWithSlot(t, craftSlot{id: "f", target: target, content: []byte("single file content, long enough"), perm: 0o644})
			if _, err := p.ExtractSlot(ctx, 0, dest); !errors.Is(err, ErrUnsafeEntry) {
				t.Fatalf("ExtractSlot: %v, want ErrUnsafeEntry", err)
			}
			if st := treeState(t, base); len(st) > 1 {
				t.Fatalf("written: %v", mapKeys(st))
			}
		})
	}
}

func TestExtractKeepsSafeLinksAndModes(t *testing.T) {
	ctx := context.Background()
	p := packageWithSlot(t, craftSlot{id: "good", target: "opt/app", ops: ops.Chain{ops.Tar, ops.Gzip}, perm: 0o600, content: makeTar(t,
		tarEntry{name: "./", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "./lib64/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "./lib64/libx.so", typ: tar.TypeReg, body: "elf", mode: 0o755},
		tarEntry{name: "./lib", link: "lib64", typ: tar.TypeSymlink},
		tarEntry{name: "./bin/tool", typ: tar.TypeReg, body: "tool", mode: 0o4755},
		tarEntry{name: "./bin/tool2", link: "bin/tool", typ: tar.TypeLink},
		tarEntry{name: "./ro/", typ: tar.TypeDir, mode: 0o555},
		tarEntry{name: "./ro/file", typ: tar.TypeReg, body: "in a read-only dir", mode: 0o444},
		tarEntry{name: "./up", link: "lib64/../bin", typ: tar.TypeSymlink},
	)})
	want := map[string]string{
		"lib64": "dir|drwxr-xr-x", "lib64/libx.so": "-rwxr-xr-x|elf", "lib": "symlink|lib64",
		"bin": "dir|drwxr-xr-x", "bin/tool": "-rwxr-xr-x|tool", "bin/tool2": "-rwxr-xr-x|tool",
		"ro": "dir|dr-xr-xr-x", "ro/file": "-r--r--r--|in a read-only dir", "up": "symlink|lib64/../bin",
	}
	// WithSetuid keeps the setuid bit the default strips.
	kept := t.TempDir()
	if _, err := p.ExtractSlot(ctx, 0, kept, WithSetuid(true)); err != nil {
		t.Fatal(err)
	}
	want["bin/tool"], want["bin/tool2"] = "urwxr-xr-x|tool", "urwxr-xr-x|tool"
	sameTree(t, treeState(t, filepath.Join(kept, "opt")), want)
	want["bin/tool"], want["bin/tool2"] = "-rwxr-xr-x|tool", "-rwxr-xr-x|tool"
	dest := t.TempDir()
	out, err := p.ExtractSlot(ctx, 0, dest)
	if err != nil {
		t.Fatal(err)
	}
	if out != filepath.Join(dest, "opt") {
		t.Fatalf("tar with target opt/app unpacked into %s, want %s/opt", out, dest)
	}
	sameTree(t, treeState(t, filepath.Join(dest, "opt")), want)
	a, _ := os.Stat(filepath.Join(dest, "opt/bin/tool"))
	b, _ := os.Stat(filepath.Join(dest, "opt/bin/tool2"))
	if !os.SameFile(a, b) {
		t.Fatal("hard link was not kept")
	}
	os.Chmod(filepath.Join(dest, "opt/ro"), 0o755) // let t.TempDir clean up
}

// An entry whose name is taken on disk replaces what is there, as tar does, and never writes
// through it: a symbolic link pointing out of the destination, a hard link to a file outside, a
// read-only file, an earlier entry of the same name. A directory in the way is refused.
func TestExtractReplacesWhatIsInTheWay(t *testing.T) {
	ctx := context.Background()
	for _, staging := range []bool{false, true} {
		t.Run(fmt.Sprintf("staging %v", staging), func(t *testing.T) {
			base := t.TempDir()
			dest := filepath.Join(base, "dest")
			writeTree(t, base, map[string]string{"outside/keep.txt": "untouched", "dest/ro": "old", "dest/sub/x": "old", "dest/dir/": ""})
			keep := filepath.Join(base, "outside/keep.txt")
			if err := os.Symlink(keep, filepath.Join(dest, "link")); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(keep, filepath.Join(dest, "sub/hard")); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(dest, "ro"), 0o400); err != nil {
				t.Fatal(err)
			}
			over := []tarEntry{
				{name: "link", typ: tar.TypeReg, body: "new link"},
				{name: "sub/hard", typ: tar.TypeReg, body: "new hard", mode: 0o755},
				{name: "ro", typ: tar.TypeReg, body: "new ro"},
				{name: "sub/x", typ: tar.TypeReg, body: "first"},
				{name: "sub/x", typ: tar.TypeReg, body: "second"},
				{name: "f", typ: tar.TypeReg, body: "a file, then a directory"},
				{name: "f/", typ: tar.TypeDir, mode: 0o755},
				{name: "f/in", typ: tar.TypeReg, body: "in"},
			}
			p := packageWithSlot(t, craftSlot{id: "over", target: "{workenv}", ops: ops.Chain{ops.Tar}, perm: 0o644, content: makeTar(t, over...)})
			if _, err := p.ExtractSlot(ctx, 0, dest, WithStagingDest(staging)); err != nil {
				t.Fatal(err)
			}
			sameTree(t, treeState(t, dest), map[string]string{
				"link": "-rw-r--r--|new link", "ro": "-rw-r--r--|new ro", "dir": "dir|drwxr-xr-x",
				"sub": "dir|drwxr-xr-x", "sub/hard": "-rwxr-xr-x|new hard", "sub/x": "-rw-r--r--|second",
				"f": "dir|drwxr-xr-x", "f/in": "-rw-r--r--|in",
			})
			sameTree(t, treeState(t, filepath.Join(base, "outside")), map[string]string{"keep.txt": "-rw-r--r--|untouched"})

			p = packageWithSlot(t, craftSlot{id: "over", target: "{workenv}", ops: ops.Chain{ops.Tar}, perm: 0o644,
				content: makeTar(t, tarEntry{name: "dir", typ: tar.TypeReg, body: "a file"})})
			_, err := p.ExtractSlot(ctx, 0, dest, WithStagingDest(staging))
			if err == nil || !strings.Contains(err.Error(), "a directory is in the way") || !strings.Contains(err.Error(), `"dir"`) {
				t.Fatalf("a file over a directory: %v, want an error naming the entry and the directory", err)
			}
		})
	}
}

// A tree of more directories than an extraction holds open, visited twice (a directory's entries
// come back after others), with modes set early and late, and a directory reached through a
// symbolic link already on disk (which opens through the Root, not from its parent).
func TestExtractManyDirectories(t *testing.T) {
	var entries []tarEntry
	want := map[string]string{"lib": "symlink|usr/lib"}
	for round := range 2 {
		for i := range 6 {
			for j := range 8 {
				dir := fmt.Sprintf("d%d/e%d", i, j)
				if round == 0 {
					entries = append(entries, tarEntry{name: fmt.Sprintf("d%d/", i), typ: tar.TypeDir, mode: 0o755},
						tarEntry{name: dir + "/", typ: tar.TypeDir, mode: 0o750})
					want[fmt.Sprintf("d%d", i)], want[dir] = "dir|drwxr-xr-x", "dir|drwxr-x---"
				}
				f := fmt.Sprintf("%s/f%d", dir, round)
				entries = append(entries, tarEntry{name: f, typ: tar.TypeReg, body: f})
				want[f] = "-rw-r--r--|" + f
			}
		}
	}
	entries = append(entries, tarEntry{name: "ro/", typ: tar.TypeDir, mode: 0o555}, tarEntry{name: "ro/sub/", typ: tar.TypeDir, mode: 0o500},
		tarEntry{name: "ro/sub/x", typ: tar.TypeReg, body: "x"}, tarEntry{name: "lib/libz.so", typ: tar.TypeReg, body: "z"})
	want["ro"], want["ro/sub"], want["ro/sub/x"] = "dir|dr-xr-xr-x", "dir|dr-x------", "-rw-r--r--|x"
	want["usr"], want["usr/lib"], want["usr/lib/libz.so"] = "dir|drwxr-xr-x", "dir|drwxr-xr-x", "-rw-r--r--|z"
	for _, staging := range []bool{false, true} {
		t.Run(fmt.Sprintf("staging %v", staging), func(t *testing.T) {
			dest := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dest, "usr/lib"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("usr/lib", filepath.Join(dest, "lib")); err != nil {
				t.Fatal(err)
			}
			p := packageWithSlot(t, craftSlot{id: "many", target: "{workenv}", ops: ops.Chain{ops.Tar}, perm: 0o644, content: makeTar(t, entries...)})
			if _, err := p.ExtractSlot(context.Background(), 0, dest, WithStagingDest(staging)); err != nil {
				t.Fatal(err)
			}
			sameTree(t, treeState(t, dest), want)
			os.Chmod(filepath.Join(dest, "ro/sub"), 0o755) // let t.TempDir clean up
			os.Chmod(filepath.Join(dest, "ro"), 0o755)
		})
	}
}

func TestExtractRefusesCorruptSlotBeforeWriting(t *testing.T) {
	ctx := context.Background()
	b := craft{align: 8, envKey: "env", slots: []craftSlot{
		{id: "t", target: "{workenv}", ops: ops.Chain{ops.Tar}, content: makeTar(t, tarEntry{name: "f", typ: tar.TypeReg, body: "data"})},
		{id: "f", target: "file.txt", content: []byte("a single file long enough to be raw")},
	}}.build(t)
	for i := 0; i < 2; i++ {
		p, _ := NewPackage(ctx, bytes.NewReader(b), int64(len(b)))
		d, _ := p.Descriptor(i)
		bad := bytes.Clone(b)
		bad[d.Offset+d.Size-1] ^= 1 // last byte: tar padding, or the file's last byte
		p, err := NewPackage(ctx, bytes.NewReader(bad), int64(len(bad)))
		if err != nil {
			t.Fatal(err)
		}
		dest := t.TempDir()
		if _, err := p.ExtractSlot(ctx, i, dest); !errors.Is(err, ErrSlotChecksum) {
			t.Fatalf("slot %d: %v, want ErrSlotChecksum", i, err)
		}
		if st := treeState(t, dest); len(st) != 0 {
			t.Fatalf("slot %d: written despite a bad checksum: %v", i, mapKeys(st))
		}
		// Staged: the damage is found at the end; a single file never reaches its name.
		if _, err := p.ExtractSlot(ctx, i, t.TempDir(), WithStagingDest(true)); !errors.Is(err, ErrSlotChecksum) {
			t.Fatalf("slot %d, staged: %v, want ErrSlotChecksum", i, err)
		}
	}
}

// TestStagedExtractionRefusesEveryFlip extracts with WithStagingDest (one pass, checked at the
// end) after flipping each byte of a slot in turn, for every operation chain: each flip must fail
// as a checksum mismatch, whether it broke the decoder, the archive, or only the content. The
// untouched package must extract to the same tree as the default two-pass extraction.
func TestStagedExtractionRefusesEveryFlip(t *testing.T) {
	ctx := context.Background()
	tarball := makeTar(t, tarEntry{name: "bin/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "bin/run", typ: tar.TypeReg, body: strings.Repeat("echo staged extraction\n", 40), mode: 0o755},
		tarEntry{name: "link", typ: tar.TypeSymlink, link: "bin/run"})
	for _, chain := range []ops.Chain{{ops.Tar}, {ops.Tar, ops.Gzip}, {ops.Tar, ops.Bzip2}, {ops.Tar, ops.Xz}, {ops.Tar, ops.Zstd}, {ops.Gzip}, {ops.Zstd}} {
		t.Run(chain.String(), func(t *testing.T) {
			content, target := tarball, "{workenv}"
			if !chain.HasTar() {
				content, target = []byte(strings.Repeat("a single file, long enough\n", 20)), "file.txt"
			}
			b := craft{align: 8, envKey: "env", slots: []craftSlot{{id: "s", target: target, content: content, ops: chain, perm: 0o644}}}.build(t)
			p, err := NewPackage(ctx, bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			twoPass, staged := t.TempDir(), t.TempDir()
			if _, err := p.ExtractSlot(ctx, 0, twoPass); err != nil {
				t.Fatal(err)
			}
			if _, err := p.ExtractSlot(ctx, 0, staged, WithStagingDest(true)); err != nil {
				t.Fatal(err)
			}
			sameTree(t, treeState(t, staged), treeState(t, twoPass))
			d, _ := p.Descriptor(0)
			bad := make([]byte, len(b))
			for off := d.Offset; off < d.Offset+d.Size; off++ {
				copy(bad, b)
				bad[off] ^= 0x10
				q, err := NewPackage(ctx, bytes.NewReader(bad), int64(len(bad)))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := q.ExtractSlot(ctx, 0, t.TempDir(), WithStagingDest(true)); !errors.Is(err, ErrSlotChecksum) {
					t.Fatalf("byte %d of %d flipped: %v, want ErrSlotChecksum", off-d.Offset, d.Size, err)
				}
			}
		})
	}
}
