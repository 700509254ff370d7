package launcher

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/packer"
)

// tarOf builds a tar stream from headers; a regular file's content is "evil".
func tarOf(t *testing.T, hdrs ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		if h.Typeflag == tar.TypeReg {
			h.Size = 4
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte("evil"))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestHostileSlotsRefused packs slots whose tar entries try to leave the workenv: each package
// is refused with the slot exit code, its command never runs, and nothing is written outside the
// cache, nor any workenv marked complete.
func TestHostileSlotsRefused(t *testing.T) {
	outside := t.TempDir()
	reg := func(name string) *tar.Header { return &tar.Header{Name: name, Typeflag: tar.TypeReg} }
	tests := []struct {
		name string
		hdrs []*tar.Header
	}{
		{"dot-dot", []*tar.Header{reg("bin/ok"), reg("../evil")}},
		{"nested dot-dot", []*tar.Header{reg("a/../../evil")}},
		{"absolute", []*tar.Header{reg(filepath.Join(outside, "evil"))}},
		{"symlink out then through it", []*tar.Header{
			{Name: "link", Typeflag: tar.TypeSymlink, Linkname: outside}, reg("link/evil")}},
		{"relative symlink escaping", []*tar.Header{{Name: "up", Typeflag: tar.TypeSymlink, Linkname: "../../../.."}}},
		{"hardlink to a host file", []*tar.Header{{Name: "pw", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}}},
		{"character device", []*tar.Header{{Name: "null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}}},
		{"fifo", []*tar.Header{{Name: "pipe", Typeflag: tar.TypeFifo}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := filepath.Join(t.TempDir(), "ran")
			pkg := writePackage(t, packer.Spec{
				Name:      "hostile",
				Execution: packer.Execution{Command: "sh -c ': > " + mark + "'"},
				Slots: []packer.Slot{{ID: "evil", Reader: bytes.NewReader(tarOf(t, tt.hdrs...)),
					Operations: ops.Chain{ops.Tar, ops.Gzip}, Target: "{workenv}"}},
			}, packer.WithoutSlotRule())
			r := newRunner(t)
			res := r.run(pkg, nil)
			if res.code != 103 || !strings.Contains(res.stderr, "unsafe archive entry") || !strings.Contains(res.stderr, "report it to its publisher") {
				t.Fatalf("want exit 103 (unsafe archive entry) advising a report, got %s", res)
			}
			if pathExists(mark) {
				t.Fatal("the command ran")
			}
			if ents, _ := os.ReadDir(outside); len(ents) != 0 {
				t.Fatalf("written outside the workenv: %v", ents)
			}
			if m, _ := filepath.Glob(filepath.Join(r.cache, "workenv", ".*", "complete")); len(m) != 0 {
				t.Fatalf("a hostile tree was marked complete: %v", m)
			}
			if len(r.workenvs()) != 0 {
				t.Fatalf("a hostile tree was moved into place: %v", r.workenvs())
			}
		})
	}
}

// TestVolatileSlotThroughInTreeSymlink: a later slot writes through a symlink an earlier slot
// made, pointing inside the workenv; that is allowed on the first run and on every re-extraction,
// and the file lands in the link's target.
func TestVolatileSlotThroughInTreeSymlink(t *testing.T) {
	pkg := writePackage(t, packer.Spec{
		Name:      "linkvol",
		Execution: packer.Execution{Command: "sh -c 'cat \"$FLAVOR_WORKENV/store/x\"'"},
		Slots: []packer.Slot{
			{ID: "links", Reader: bytes.NewReader(tarOf(t, &tar.Header{Name: "data", Typeflag: tar.TypeSymlink, Linkname: "store"},
				&tar.Header{Name: "store/", Typeflag: tar.TypeDir, Mode: 0o755})), Operations: ops.Chain{ops.Tar}},
			{ID: "vol", Lifecycle: "volatile", Reader: bytes.NewReader(tarOf(t, &tar.Header{Name: "data/x", Typeflag: tar.TypeReg})),
				Operations: ops.Chain{ops.Tar}},
		},
	})
	r := newRunner(t)
	r.mustRun(pkg, "evil", nil)
	we := r.workenvs()[0]
	if err := os.WriteFile(filepath.Join(we, "store", "x"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.mustRun(pkg, "evil", nil) // re-extracted through the link
	if fi, err := os.Lstat(filepath.Join(we, "data")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("data is no longer the symlink: %v %v", fi, err)
	}
}
