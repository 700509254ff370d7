package launcher

import (
	"archive/tar"
	"bytes"
	"github.com/flavor-dev/flavor/ops"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/flavor-dev/flavor/packer"
)

// TestDecompressionBombRefused: a small zstd slot whose tar holds far more than the slot's
// declared original size is refused with the slot exit code, naming the slot, before more than
// the declared size is written; the command never runs.
func TestDecompressionBombRefused(t *testing.T) {
	const big, declared = 64 << 20, 1 << 20
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: big})
	tw.Write(make([]byte, big))
	tw.Close()
	var zb bytes.Buffer
	zw, _ := zstd.NewWriter(&zb, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	zw.Write(tb.Bytes())
	zw.Close()
	stored := zb.Bytes()
	mark := filepath.Join(t.TempDir(), "ran")
	js := `{"format": "PSPF/2025", "format_version": "1.0.0", "package": {"name": "bomb", "version": "1"},
  "slots": [{"slot": 0, "id": "bomb", "source": "bomb.tar.zst", "target": "{workenv}", "size": ` + strconv.Itoa(len(stored)) + `,
    "checksum": "` + sha(stored) + `", "operations": "tar.zst", "purpose": "code", "lifecycle": "runtime"}],
  "execution": {"primary_slot": 0, "command": "sh -c ': > ` + mark + `'"}}`
	pkg := assemble(t, []byte(js), []foreignSlot{{stored: stored, ops: 0x1B01, perm: 0o644, original: declared}}, shape{align: 8})
	r := newRunner(t)
	res := r.run(pkg, nil)
	if res.code != 103 || !strings.Contains(res.stderr, "slot 0 (bomb)") || !strings.Contains(res.stderr, "larger than its declared size") {
		t.Fatalf("want exit 103 naming slot 0 (bomb) and its declared size, got %s", res)
	}
	if strings.Contains(res.stderr, "fresh copy") {
		t.Fatalf("a package built this way gets no 'fresh copy' advice: %s", res)
	}
	if pathExists(mark) {
		t.Fatal("the command ran")
	}
	var written int64
	filepath.WalkDir(r.cache, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			fi, _ := d.Info()
			written += fi.Size()
		}
		return nil
	})
	if written > declared+64<<10 {
		t.Fatalf("%d bytes left in the cache for a slot that declares %d", written, declared)
	}
}

// TestSetuidStripped: the launcher never creates a setuid or setgid file in the workenv.
func TestSetuidStripped(t *testing.T) {
	pkg := writePackage(t, packer.Spec{
		Name:      "setid",
		Execution: packer.Execution{Command: "sh -c 'echo ok'"},
		Slots: []packer.Slot{{ID: "tools", Operations: ops.Chain{ops.Tar, ops.Gzip}, Reader: bytes.NewReader(tarOf(t,
			&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "bin/suid", Typeflag: tar.TypeReg, Mode: 0o4755},
			&tar.Header{Name: "bin/sgid", Typeflag: tar.TypeReg, Mode: 0o2755},
			&tar.Header{Name: "shared/", Typeflag: tar.TypeDir, Mode: 0o2775}))}},
	})
	r := newRunner(t)
	r.mustRun(pkg, "ok\n", nil)
	we := r.workenvs()[0]
	for name, perm := range map[string]fs.FileMode{"bin/suid": 0o755, "bin/sgid": 0o755, "shared": fs.ModeDir | 0o775} {
		fi, err := os.Stat(filepath.Join(we, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != 0 || fi.Mode()&(fs.ModeDir|fs.ModePerm) != perm {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode(), perm)
		}
	}
}

// TestTruncatedTarEntry: a slot whose tar stops inside an entry is an extraction failure (103,
// as the README says), and since its signed bytes are what the packager wrote, the advice is to
// report it, not to fetch the same bytes again.
func TestTruncatedTarEntry(t *testing.T) {
	whole := tarOf(t, &tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}, &tar.Header{Name: "bin/tool", Typeflag: tar.TypeReg})
	truncated := whole[:512+512+2] // the directory, the file's header and two bytes of its content
	stored := gzipped(truncated)   // written by hand: our writer refuses a truncated tar
	js := `{"format": "PSPF/2025", "format_version": "1.0.0", "package": {"name": "truncated", "version": "1"},
  "slots": [{"slot": 0, "id": "cut", "source": "cut.tar.gz", "target": "{workenv}", "size": ` + strconv.Itoa(len(stored)) + `,
    "checksum": "` + sha(stored) + `", "operations": "tgz", "purpose": "code", "lifecycle": "runtime"}],
  "execution": {"primary_slot": 0, "command": "sh -c 'echo ran'"}}`
	pkg := assemble(t, []byte(js), []foreignSlot{{stored: stored, ops: 0x1001, perm: 0o644}}, shape{align: 8})
	res := newRunner(t).run(pkg, nil)
	if res.code != 103 || !strings.Contains(res.stderr, "slot 0 (cut)") || !strings.Contains(res.stderr, "report it to its publisher") ||
		strings.Contains(res.stderr, "fresh copy") || res.stdout != "" {
		t.Fatalf("want exit 103 naming slot 0 (cut) and advising a report, got %s", res)
	}
}

// TestDamageAdvisesFreshCopy: a slot byte changed after signing is damage, and only damage gets
// the advice to fetch the package again.
func TestDamageAdvisesFreshCopy(t *testing.T) {
	pkg := writePackage(t, packer.Spec{Name: "damaged", Execution: packer.Execution{Command: "sh -c 'echo ran'"},
		Slots: []packer.Slot{treeSlot(t, "app", files{"a.txt": strings.Repeat("content ", 100)})}})
	p, err := packer.Open(t.Context(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := p.Descriptor(0)
	p.Close()
	b, _ := os.ReadFile(pkg)
	b[d.Offset+d.Size/2] ^= 0xff
	os.WriteFile(pkg, b, 0o755)
	res := newRunner(t).run(pkg, nil)
	if res.code != 103 || !strings.Contains(res.stderr, "get a fresh copy") {
		t.Fatalf("want exit 103 advising a fresh copy, got %s", res)
	}
}
