package packer

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/ops"
)

// testLauncher stands in for a launcher binary.
var testLauncher = []byte("#!/bin/sh\necho 'not a launcher'\nexit 99\n")

// writeTree creates files under dir from a map of slash paths to contents; a path ending in "/"
// is a directory.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func baseSpec(slots ...Slot) Spec {
	return Spec{
		Launcher: testLauncher, Name: "demo", Version: "1.2.3",
		Execution: Execution{Command: "sh {workenv}/bin/run.sh", Env: map[string]string{"MODE": "test"}},
		Slots:     slots,
	}
}

func writePackage(t testing.TB, spec Spec, opts ...Option) (string, *Result) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "demo.psp")
	opts = append([]Option{WithSigner(KeyFromSeed("test123")), WithSourceDateEpoch(time.Unix(1700000000, 0))}, opts...)
	res, err := Write(context.Background(), path, spec, opts...)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != res.Size || sha256.Sum256(b) != res.SHA256 {
		t.Fatalf("Result says %d bytes, SHA-256 %x; the file has %d bytes, %x", res.Size, res.SHA256, len(b), sha256.Sum256(b))
	}
	return path, res
}

func TestRoundTripSingleFile(t *testing.T) {
	ctx := context.Background()
	content := "#!/bin/sh\necho hello\n"
	path, res := writePackage(t, baseSpec(Slot{ID: "script", Reader: strings.NewReader(content), Target: "bin/run.sh", Permissions: 0o755}))
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != res.Size {
		t.Fatalf("file is %d bytes, Result says %d", st.Size(), res.Size)
	}
	p, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer p.Close()
	got, err := p.ReadSlot(ctx, 0)
	if err != nil {
		t.Fatalf("ReadSlot: %v", err)
	}
	if string(got) != content {
		t.Fatalf("slot content %q, want %q", got, content)
	}
	m := p.Metadata()
	if m.Package.Name != "demo" || m.Execution.Env["MODE"] != "test" || m.Execution.Environment["MODE"] != "test" {
		t.Fatalf("metadata: %+v", m)
	}
	raw, _ := os.ReadFile(path)
	if !bytes.HasPrefix(raw, testLauncher) {
		t.Fatal("package does not start with the launcher")
	}
	if _, err := Verify(ctx, path); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	rc, _ := p.OpenSlot(ctx, 0)
	n, _ := io.Copy(io.Discard, rc)
	if n != int64(len(content)) {
		t.Fatalf("decoded %d bytes", n)
	}
}

// treeState reads a directory into "path → mode|content" for comparisons.
func treeState(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "symlink|" + target
		case info.IsDir():
			out[rel] = "dir|" + info.Mode().String()
		default:
			body, _ := os.ReadFile(p)
			out[rel] = info.Mode().String() + "|" + string(body)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t testing.TB, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("tree has %d entries, want %d:\n got %v\nwant %v", len(got), len(want), mapKeys(got), mapKeys(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("entry %s = %.60q, want %.60q", k, got[k], v)
		}
	}
}

func mapKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sampleTree(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"bin/run.sh":        "#!/bin/sh\necho run\n",
		"lib/data.txt":      strings.Repeat("compressible line\n", 500),
		"share/empty/":      "",
		"share/doc/README":  "read me\n",
		"z-last.bin":        string(bytes.Repeat([]byte{0, 1, 2, 3, 250}, 100)),
		"deep/a/b/c/d.conf": "k = v\n",
	})
	if err := os.Chmod(filepath.Join(dir, "bin/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("run.sh", filepath.Join(dir, "bin/run")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRoundTripChains(t *testing.T) {
	ctx := context.Background()
	tree := sampleTree(t)
	wantTree := treeState(t, tree)
	for _, spelling := range []string{"tar", "tar.gz", "tar.bz2", "tar.xz", "tar.zst", "tar|gzip|zstd", "tar|xz|gzip", "tar|zstd|bzip2|xz"} {
		t.Run("dir "+spelling, func(t *testing.T) {
			chain, _ := ops.ParseChain(spelling)
			path, res := writePackage(t, baseSpec(Slot{ID: "tree", Path: tree, Operations: chain}))
			if packed, _ := chain.Pack(); res.Descriptors[0].Operations != packed {
				t.Fatalf("descriptor operations 0x%x, want 0x%x", res.Descriptors[0].Operations, packed)
			}
			p, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if info, _ := p.SlotInfo(0); info.Operations != chain.String() || info.Target != "{workenv}" {
				t.Fatalf("slot info %+v", info)
			}
			if err := p.VerifyContent(ctx); err != nil {
				t.Fatal(err)
			}
			dest := t.TempDir()
			if out, err := p.ExtractSlot(ctx, 0, dest); err != nil || out != dest {
				t.Fatalf("ExtractSlot = %s, %v", out, err)
			}
			sameTree(t, treeState(t, dest), wantTree)
		})
	}
	content := strings.Repeat("payload bytes 0123456789\n", 300)
	for _, spelling := range []string{"raw", "gzip", "bzip2", "xz", "zstd", "gzip|xz", "zstd|bzip2|gzip", "xz|xz"} {
		t.Run("file "+spelling, func(t *testing.T) {
			chain, _ := ops.ParseChain(spelling)
			path, _ := writePackage(t, baseSpec(Slot{ID: "f", Reader: strings.NewReader(content), Operations: chain, Target: "etc/f.conf"}))
			p, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			got, err := p.ReadSlot(ctx, 0)
			if err != nil || string(got) != content {
				t.Fatalf("ReadSlot: %d bytes, %v", len(got), err)
			}
			if d, _ := p.Descriptor(0); len(chain) > 0 && d.OriginalSize != uint64(len(content)) {
				t.Fatalf("original_size %d, want %d", d.OriginalSize, len(content))
			}
			dest := t.TempDir()
			out, err := p.ExtractSlot(ctx, 0, dest)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := os.ReadFile(out)
			st, _ := os.Stat(out)
			if out != filepath.Join(dest, "etc", "f.conf") || string(body) != content || st.Mode().Perm() != 0o600 {
				t.Fatalf("extracted %s (%v): %d bytes", out, st.Mode(), len(body))
			}
		})
	}
}

func TestTinyRawSlotIsStoredGzipped(t *testing.T) {
	ctx := context.Background()
	for _, content := range []string{"", "x", "fifteen bytes.."} {
		t.Run(strings.Repeat("#", len(content)), func(t *testing.T) {
			path, res := writePackage(t, baseSpec(Slot{ID: "tiny", Reader: strings.NewReader(content), Target: "t"}))
			if res.Descriptors[0].Operations != uint64(ops.Gzip) || res.Descriptors[0].Size < minStoredSlot {
				t.Fatalf("descriptor %+v: want gzip and at least 16 stored bytes", res.Descriptors[0])
			}
			if res.Metadata.Slots[0].Operations != "gzip" {
				t.Fatalf("metadata operations %q", res.Metadata.Slots[0].Operations)
			}
			p, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if got, err := p.ReadSlot(ctx, 0); err != nil || string(got) != content {
				t.Fatalf("ReadSlot = %q, %v", got, err)
			}
		})
	}
	_, res := writePackage(t, baseSpec(Slot{ID: "sixteen", Reader: strings.NewReader("exactly 16 bytes"), Target: "t"}))
	if res.Descriptors[0].Operations != 0 || res.Descriptors[0].Size != 16 {
		t.Fatalf("16-byte raw slot: %+v", res.Descriptors[0])
	}
}

func TestDeterministicPackages(t *testing.T) {
	tree := sampleTree(t)
	spec := func() Spec {
		s := baseSpec(
			Slot{ID: "tree", Path: tree},
			Slot{ID: "cfg", Reader: strings.NewReader("a = 1\nb = 2\n"), Operations: ops.Chain{ops.Gzip}, Target: "etc/cfg"},
		)
		s.Runtime = RuntimeEnv{Unset: []string{"*"}, Pass: []string{"PATH", "FLAVOR_*"}, Set: map[string]string{"B": "2", "A": "1"}}
		s.Extra = map[string]any{"provenance": map[string]string{"z": "1", "a": "2"}, "flavor": "ssl is: x86_64"}
		return s
	}
	dir := t.TempDir()
	write := func(name string, opts ...Option) []byte {
		path := filepath.Join(dir, name)
		opts = append([]Option{WithSigner(KeyFromSeed("test123"))}, opts...)
		if _, err := Write(context.Background(), path, spec(), opts...); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Run("same inputs give identical bytes", func(t *testing.T) {
		t.Setenv("SOURCE_DATE_EPOCH", "")
		a, b := write("a.psp"), write("b.psp", WithConcurrency(1))
		if !bytes.Equal(a, b) {
			t.Fatalf("two writes differ (%d vs %d bytes)", len(a), len(b))
		}
		p, err := NewPackage(context.Background(), bytes.NewReader(a), int64(len(a)))
		if err != nil {
			t.Fatal(err)
		}
		if p.Metadata().Build.Timestamp != "" || bytes.Contains(p.Metadata().JSON(), []byte("host")) {
			t.Fatalf("metadata without SOURCE_DATE_EPOCH carries a timestamp or host: %s", p.Metadata().JSON())
		}
		var prov bytes.Buffer
		json.Compact(&prov, p.Metadata().Extra["provenance"])
		if string(p.Metadata().Extra["flavor"]) != `"ssl is: x86_64"` || prov.String() != `{"a":"2","z":"1"}` {
			t.Fatalf("extra keys: %v", p.Metadata().Extra)
		}
	})
	t.Run("the environment is not read", func(t *testing.T) {
		t.Setenv("SOURCE_DATE_EPOCH", "1234567890")
		if !bytes.Equal(write("x.psp"), func() []byte { t.Setenv("SOURCE_DATE_EPOCH", ""); return write("y.psp") }()) {
			t.Fatal("SOURCE_DATE_EPOCH in the environment changed the bytes; only WithSourceDateEpoch may")
		}
	})
	t.Run("WithSourceDateEpoch is honoured", func(t *testing.T) {
		epoch := WithSourceDateEpoch(time.Unix(1234567890, 0))
		a := write("c.psp", epoch)
		if b := write("d.psp", epoch); !bytes.Equal(a, b) {
			t.Fatal("two writes with SOURCE_DATE_EPOCH differ")
		}
		p, err := NewPackage(context.Background(), bytes.NewReader(a), int64(len(a)))
		if err != nil {
			t.Fatal(err)
		}
		if ts := p.Metadata().Build.Timestamp; ts != "2009-02-13T23:31:30Z" {
			t.Fatalf("timestamp %q", ts)
		}
		tb, err := p.ReadSlot(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(bytes.NewReader(tb))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.ModTime.Unix() != 1234567890 { // every file here is newer than 2009
				t.Fatalf("%s mtime %v, want clamped to 1234567890", h.Name, h.ModTime.Unix())
			}
		}
		if c := write("e.psp", WithSourceDateEpoch(time.Unix(1234567891, 0))); bytes.Equal(a, c) {
			t.Fatal("a different epoch gave the same bytes")
		}
	})
	t.Run("a different key gives different bytes", func(t *testing.T) {
		t.Setenv("SOURCE_DATE_EPOCH", "")
		if bytes.Equal(write("f.psp"), write("g.psp", WithSigner(KeyFromSeed("other")))) {
			t.Fatal("different keys, same bytes")
		}
	})
}
