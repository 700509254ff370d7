package bundle

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/lock"
	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/portable"
)

// oneArtifact is a group of one package whose artifact repeats a directory (kept once) and holds
// names too long for USTAR (PAX records).
func oneArtifact(t testing.TB, dir string, extra ...tarEntry) *lock.Result {
	long := strings.Repeat("d", 120) + "/" + strings.Repeat("f", 110)
	entries := append([]tarEntry{{name: "bin/"}, {name: "bin/app", body: "APP", mode: 0o755}, {name: "bin/"},
		{name: "bin/sh", body: "->app"}, {name: long, body: "long"}, {name: "lib/abs", body: "->/bin/app"}}, extra...)
	a := writeArtifact(t, dir, "apps/app@1", entries, nil)
	a.InstallIDs = []string{"app"}
	return &lock.Result{Systems: []lock.System{{Platform: "linux/amd64", Groups: []lock.Group{{Name: "toplevel", Packages: []lock.Installed{a}}}}}}
}

// TestStreamedGroupIsTheMergedTar: a group of one package is merged while it is read, into the
// bytes the temporary tar held, and the package written from it is the one written from the
// temporary tar, byte for byte.
func TestStreamedGroupIsTheMergedTar(t *testing.T) {
	dir := t.TempDir()
	res := oneArtifact(t, dir)
	tmp := t.TempDir()
	src, err := NewInstallSource(context.Background(), res, tmp)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if ents, _ := os.ReadDir(src.dir); len(ents) != 0 {
		t.Fatalf("a group of one package left %d temporary files", len(ents))
	}
	slots, err := src.Slots(context.Background(), Target{Platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := io.ReadAll(slots[0].Reader)
	closeReader(slots[0].Reader)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(tmp, "merged.tar")
	if err := mergeGroup(context.Background(), file, res.Systems[0].Groups[0]); err != nil {
		t.Fatal(err)
	}
	merged, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(streamed, merged) {
		t.Fatalf("the streamed tar (%d bytes) differs from the merged file (%d bytes)", len(streamed), len(merged))
	}
	if got := readTar(t, bytes.NewReader(streamed)); len(got) != 5 || got[0] != "bin/ 5" {
		t.Fatalf("merged entries %q: want the repeated directory once", got)
	}

	m := loadManifest(t, dir, minimalManifest+"[install]\napp.pkg-path = \"apps/app\"\n")
	a := pack(t, m, WithInstall(src), WithPlatforms("linux/amd64"), WithSourceDateEpoch(time.Unix(1, 0)))
	fromFile := *src
	fromFile.slots = map[string][]installSlot{"linux/amd64": {src.slots["linux/amd64"][0]}}
	fromFile.slots["linux/amd64"][0].file = file
	b := pack(t, m, WithInstall(&fromFile), WithPlatforms("linux/amd64"), WithSourceDateEpoch(time.Unix(1, 0)))
	pa, _ := os.ReadFile(a[0].Path)
	pb, _ := os.ReadFile(b[0].Path)
	if len(pa) == 0 || !bytes.Equal(pa, pb) {
		t.Fatalf("package from the stream (%s) differs from the one from the merged file (%s)", a[0].SHA256, b[0].SHA256)
	}
}

// TestStreamedGroupConflict: an artifact that ships one path twice, differently, fails the
// package while it is written, naming the path, and nothing is left in the output directory.
func TestStreamedGroupConflict(t *testing.T) {
	dir := t.TempDir()
	res := oneArtifact(t, dir, tarEntry{name: "bin/app", body: "OTHER", mode: 0o755})
	src, err := NewInstallSource(context.Background(), res, t.TempDir())
	if err != nil {
		t.Fatalf("a group of one package is merged when read, not now: %v", err)
	}
	defer src.Close()
	m := loadManifest(t, dir, minimalManifest+"[install]\napp.pkg-path = \"apps/app\"\n")
	out := t.TempDir()
	_, err = Pack(context.Background(), m, WithInstall(src), WithPlatforms("linux/amd64"),
		WithLauncher(fakeLauncher{}), WithSigner(testKey), WithOutputDir(out))
	if !errors.Is(err, ErrPathConflict) || !strings.Contains(err.Error(), "both ship /bin/app, differently (other content)") ||
		!strings.Contains(err.Error(), "pkg-group toplevel for linux/amd64") {
		t.Fatalf("error %v; want a conflict naming the group and the path", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("a failed pack left %d entries", len(ents))
	}
}

// TestStreamedGroupClose: closing the stream before its end stops the merge.
func TestStreamedGroupClose(t *testing.T) {
	res := oneArtifact(t, t.TempDir())
	s := streamGroup(context.Background(), res.Systems[0].Groups[0], "linux/amd64", t.TempDir())
	if _, err := s.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	s.Close() // returns once the merge ended
	select {
	case <-s.done:
	default:
		t.Fatal("Close returned while the merge runs")
	}
	if _, err := s.Read(make([]byte, 10)); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("read after Close: %v", err)
	}
}

// TestStreamedGroupForThePortableCheck: the portable check finds the command's program in a
// streamed group (it asks for the merged tar as a file), and the slot then reads that file.
func TestStreamedGroupForThePortableCheck(t *testing.T) {
	res := oneArtifact(t, t.TempDir())
	src, err := NewInstallSource(context.Background(), res, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	slots, err := src.Slots(context.Background(), Target{Platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	spec := packer.Spec{Execution: packer.Execution{Command: "{workenv}/bin/app"}}
	err = portableExecution(context.Background(), &spec, slots, &yes)
	if !errors.Is(err, portable.ErrNotDynamic) { // found, and a script: not portable.ErrNotFound
		t.Fatalf("portable check: %v; want the program found and refused as not dynamic", err)
	}
	got, err := io.ReadAll(slots[0].Reader)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "merged.tar")
	if err := mergeGroup(context.Background(), file, res.Systems[0].Groups[0]); err != nil {
		t.Fatal(err)
	}
	if want, _ := os.ReadFile(file); !bytes.Equal(got, want) {
		t.Fatalf("the slot read %d bytes after the check, want the merged tar's %d", len(got), len(want))
	}
	name := slots[0].Reader.(*groupStream).f.Name()
	closeReader(slots[0].Reader)
	if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Close left the temporary tar %s", name)
	}
}
