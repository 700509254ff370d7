package delta

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// readBack lists a tar stream's headers as lines: name, type, mode, owner, mtime, link, PAX.
func readBack(t *testing.T, r io.Reader) []string {
	t.Helper()
	tr := tar.NewReader(r)
	var out []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Uname != "" || hdr.Gname != "" || !hdr.AccessTime.IsZero() || !hdr.ChangeTime.IsZero() {
			t.Errorf("%s: uname %q gname %q atime %v ctime %v", hdr.Name, hdr.Uname, hdr.Gname, hdr.AccessTime, hdr.ChangeTime)
		}
		line := fmt.Sprintf("%s %s %04o %d:%d %d", hdr.Name, typeName(hdr.Typeflag), hdr.Mode, hdr.Uid, hdr.Gid, hdr.ModTime.Unix())
		if hdr.Linkname != "" {
			line += " -> " + hdr.Linkname
		}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range hdr.PAXRecords {
				if !yield(k) {
					return
				}
			}
		}) {
			line += fmt.Sprintf(" %s=%x", k, hdr.PAXRecords[k])
		}
		out = append(out, line)
	}
}

// sampleUpper is an upper directory with every kind of entry, created in the given order.
func sampleUpper(t *testing.T, reverse bool, mtime time.Time) Overlay {
	lower, upper := baseLower(t), newLayout(t)
	steps := []func(){
		func() { upper.dir("/opt/app", 0o750, 100, 100) },
		func() { upper.file("/opt/app/run", "run", 0o4755, 0, 0) },
		func() { upper.file("/opt/app/data", "data", 0o644, 100, 100) },
		func() { upper.symlink("/opt/app/current", "run") },
		func() { upper.file("/ping", "p", 0o755, 0, 0).xattr("/ping", xattrCapability, capNetRaw()) },
		func() { upper.file("/z", "z", 0o644, 0, 0) },
		func() { copyUp(upper, "/bin").whiteout("/bin/ls") },
	}
	if reverse {
		slices.Reverse(steps)
	}
	for _, s := range steps {
		s()
	}
	upper.hardlink("/z", "/a-link")
	for _, p := range []string{"/opt/app", "/opt/app/run", "/opt/app/data", "/ping", "/z", "/opt", "/bin"} {
		upper.mtime(p, mtime)
	}
	return Overlay{Upper: upper.root, Lowers: []string{lower.root}}
}

func artifactOf(t *testing.T, ov Overlay, opts ...Option) ([]byte, Artifact) {
	t.Helper()
	tree, err := FromOverlay(context.Background(), ov)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	var buf bytes.Buffer
	a, err := tree.WriteArtifact(context.Background(), &buf, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), a
}

func TestWriteArtifactFormat(t *testing.T) {
	b, a := artifactOf(t, sampleUpper(t, false, later))
	sum := sha256.Sum256(b)
	if a.SHA256 != hex.EncodeToString(sum[:]) || a.Size != int64(len(b)) {
		t.Errorf("artifact says sha256 %s size %d; bytes have %x size %d", a.SHA256, a.Size, sum, len(b))
	}
	zr, err := zstd.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	got := readBack(t, zr)
	capRec := fmt.Sprintf(" SCHILY.xattr.security.capability=%x", capNetRaw())
	want := []string{
		"a-link f 0644 0:0 0",
		"opt/ d 0755 0:0 0",
		"opt/app/ d 0750 100:100 0",
		"opt/app/current l 0777 0:0 0 -> run",
		"opt/app/data f 0644 100:100 0",
		"opt/app/run f 4755 0:0 0",
		"ping f 0755 0:0 0" + capRec,
		"z h 0644 0:0 0 -> a-link",
	}
	diffLines(t, "artifact headers", got, want)
	diffLines(t, "files", a.Files, []string{"a-link", "opt/app/current", "opt/app/data", "opt/app/run", "ping", "z"})
	diffLines(t, "removed", a.Removed, []string{"bin/ls"})
}

func TestWriteArtifactDeterministic(t *testing.T) {
	first, a1 := artifactOf(t, sampleUpper(t, false, later))
	second, a2 := artifactOf(t, sampleUpper(t, true, later.Add(48*time.Hour)))
	if !bytes.Equal(first, second) || a1.SHA256 != a2.SHA256 {
		t.Errorf("same tree made in another order at other times gave other bytes: %s vs %s", a1.SHA256, a2.SHA256)
	}
	// With SOURCE_DATE_EPOCH before every mtime, all mtimes clamp to it: still identical.
	epoch := WithSourceDateEpoch(baseTime.Add(-time.Hour))
	e1, _ := artifactOf(t, sampleUpper(t, false, later), epoch)
	e2, _ := artifactOf(t, sampleUpper(t, true, later.Add(time.Hour)), epoch)
	if !bytes.Equal(e1, e2) {
		t.Error("clamped mtimes gave other bytes")
	}
	if bytes.Equal(e1, first) {
		t.Error("SOURCE_DATE_EPOCH did not change the mtimes written")
	}
}

func TestWriteTarClampsToEpoch(t *testing.T) {
	ov := sampleUpper(t, false, later)
	tree, err := FromOverlay(context.Background(), ov)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	epoch := later.Add(-time.Minute) // after the parents' times, before the new files'
	var buf bytes.Buffer
	if err := tree.WriteTar(context.Background(), &buf, WithSourceDateEpoch(epoch)); err != nil {
		t.Fatal(err)
	}
	times := map[string]int64{}
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		times[hdr.Name] = hdr.ModTime.Unix()
	}
	if times["z"] != epoch.Unix() {
		t.Errorf("new file mtime %d, want clamped %d", times["z"], epoch.Unix())
	}
	fi, err := os.Lstat(ov.Upper + "/opt/app/current")
	if err != nil {
		t.Fatal(err)
	}
	if fi.ModTime().After(epoch) && times["opt/app/current"] != epoch.Unix() {
		t.Errorf("symlink mtime %d, want %d", times["opt/app/current"], epoch.Unix())
	}
	old := baseTime.Add(-24 * time.Hour)
	tree.entries[0].ModTime = old
	buf.Reset()
	if err := tree.WriteTar(context.Background(), &buf, WithSourceDateEpoch(epoch)); err != nil {
		t.Fatal(err)
	}
	hdr, err := tar.NewReader(&buf).Next()
	if err != nil {
		t.Fatal(err)
	}
	if hdr.ModTime.Unix() != old.Unix() {
		t.Errorf("an mtime older than the epoch became %v, want %v", hdr.ModTime, old)
	}
}

func TestWriteTarShortContent(t *testing.T) {
	lower, upper := baseLower(t), newLayout(t)
	upper.file("/f", "12345", 0o644, 0, 0)
	tree, err := FromOverlay(context.Background(), Overlay{Upper: upper.root, Lowers: []string{lower.root}})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	upper.file("/f", "12", 0o644, 0, 0) // the file shrinks between scan and write
	if err := tree.WriteTar(context.Background(), io.Discard); err == nil {
		t.Error("a file that changed after the scan was written without error")
	}
}
