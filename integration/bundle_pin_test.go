//go:build integration

package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/specs/manifest"
)

// TestBundleLockPinsBaseImages: the lock records base images by digest; after the tag moves,
// locked builds still use the locked image (byte-identical packages), `flavor lock --update`
// takes the new one, and a locked image that is gone is an error naming the entry, the image
// and the fix.
func TestBundleLockPinsBaseImages(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	const name = "flavor-bundle-pin/busybox"
	// Images of their own (busybox plus a file), so removing one disturbs no other test.
	if err := importBusybox(d, name, "original"); err != nil {
		t.Fatal(err)
	}
	dir := copyExample(t)
	for _, f := range []string{"packages/apps/hello/build.yaml", "packages/base/busybox/build.yaml"} {
		editFile(t, filepath.Join(dir, f), "flavor-example/busybox:", name+":")
	}
	lockFile := filepath.Join(dir, "flavor.lock")
	entry := func() manifest.LockedPackage {
		l, err := manifest.ReadLock(context.Background(), lockFile)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := l.Entry("hello", "linux/amd64")
		if !ok {
			t.Fatal("no lock entry for hello on linux/amd64")
		}
		return e
	}
	first := amd64Pack(t, dir, t.TempDir())
	psp := filepath.Join(dir, first.psps()["linux/amd64"])
	firstSum, locked := fileSum(t, psp), entry()
	oldID, err := d.InspectImage(context.Background(), name+":amd64")
	if err != nil {
		t.Fatal(err)
	}
	if locked.BaseImage != name+":amd64@"+oldID.ID {
		t.Fatalf("lock records base image %q, want %s:amd64@%s", locked.BaseImage, name, oldID.ID)
	}
	lockBytes, _ := os.ReadFile(lockFile)

	// The tag moves to another image; locked packs, with an empty cache, still build from the
	// locked one.
	if err := importBusybox(d, name, "moved"); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{{"--locked"}, nil} {
		rep := amd64Pack(t, dir, t.TempDir(), extra...)
		if fileSum(t, psp) != firstSum || rep.Install.Containers == 0 {
			t.Errorf("pack %v after the tag moved gave other bytes (%d containers)", extra, rep.Install.Containers)
		}
	}
	if now, _ := os.ReadFile(lockFile); string(now) != string(lockBytes) {
		t.Error("packing after the tag moved changed the lock")
	}

	// `flavor lock --update` accepts the image the tag names now.
	args := append([]string{"lock", "--update", "hello", "--platform", "linux/amd64"}, launcherArgs(t)...)
	runBundleFlavor(t, dir, t.TempDir(), args...).must(t, "lock --update")
	newID, _ := d.InspectImage(context.Background(), name+":amd64")
	if e := entry(); e.BaseImage != name+":amd64@"+newID.ID || newID.ID == oldID.ID {
		t.Fatalf("after --update the lock records %q, want the new image %s", e.BaseImage, newID.ID)
	}

	// With the old lock back and the locked image gone, a locked pack fails and says why.
	if err := os.WriteFile(lockFile, lockBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.RemoveImage(context.Background(), oldID.ID); err != nil {
		t.Fatalf("removing the locked image: %v", err)
	}
	os.Remove(psp)
	r := runBundleFlavor(t, dir, t.TempDir(), append([]string{"pack", "--locked", "--platform", "linux/amd64"}, launcherArgs(t)...)...)
	for _, w := range []string{"[install] hello for linux/amd64", "base image " + name + ":amd64 is locked to " + oldID.ID + ", which can no longer be found",
		"fix: make the locked image available again", "flavor lock --update hello"} {
		if r.code != 1 || !strings.Contains(r.stderr, w) {
			t.Errorf("exit %d, stderr does not say %q:\n%s", r.code, w, r.stderr)
		}
	}
	if hasPSP(filepath.Dir(psp)) {
		t.Errorf("left %v", listDir(filepath.Dir(psp)))
	}
}
