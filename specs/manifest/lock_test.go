package manifest

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testdata/flavor.lock is a lock for testdata/manifest-md.toml, written by hand in the form Encode
// produces; the round trip must give back its exact bytes.

func TestLockRoundTripIsByteStable(t *testing.T) {
	golden, err := os.ReadFile("testdata/flavor.lock")
	if err != nil {
		t.Fatal(err)
	}
	l, err := DecodeLock("testdata/flavor.lock", golden)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Packages) != 3 || l.Packages[2].VersionSelector != ">=1.0, <2" || l.Launchers["linux/arm64"] == "" {
		t.Fatalf("decoded %+v", l)
	}
	out, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, golden) {
		t.Fatalf("re-encoded lock differs:\n%s", out)
	}
	// Order of packages and nil slices do not matter to the bytes.
	shuffled := *l
	shuffled.Packages = []LockedPackage{l.Packages[2], l.Packages[1], l.Packages[0]}
	shuffled.Packages[1].BuildDeps = nil
	out2, _ := shuffled.Encode()
	if !bytes.Equal(out2, golden) {
		t.Fatalf("reordered lock encodes differently:\n%s", out2)
	}
	// Encode works on a copy.
	if shuffled.Packages[0].InstallID != "hello" || shuffled.Packages[1].BuildDeps != nil {
		t.Fatal("Encode changed its receiver")
	}
}

func TestLockFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flavor.lock")
	if _, err := ReadLock(context.Background(), path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing lock: %v", err)
	}
	l := &Lock{LockfileVersion: 1, ManifestDigest: "sha256:x", Packages: []LockedPackage{{InstallID: "a", System: "linux/amd64"}}}
	if err := WriteLock(context.Background(), path, l); err != nil {
		t.Fatal(err)
	}
	back, err := ReadLock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := back.Entry("a", "linux/amd64"); !ok || e.BuildDeps == nil {
		t.Fatalf("Entry = %+v, %v", e, ok)
	}
	if _, ok := back.Entry("a", "linux/arm64"); ok {
		t.Fatal("Entry found a system that is not locked")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("WriteLock left %d files", len(entries))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteLock(ctx, path, l); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	if _, err := ReadLock(ctx, path); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled read: %v", err)
	}
	if err := WriteLock(context.Background(), filepath.Join(dir, "no", "such", "dir", "flavor.lock"), l); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("write into a missing directory: %v", err)
	}
}

func TestBadLocks(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"not JSON", "{", "unexpected EOF"},
		{"unknown key", `{"lockfile-version": 1, "packages": [], "launcher": {}}`, `unknown field "launcher"`},
		{"unknown entry key", `{"lockfile-version": 1, "packages": [{"install-id": "a", "system": "s", "pkgpath": "x"}]}`, `unknown field "pkgpath"`},
		{"version", `{"lockfile-version": 2}`, "lockfile-version 2; this flavor reads 1"},
		{"no version", `{}`, "lockfile-version 0; this flavor reads 1"},
		{"trailing data", `{"lockfile-version": 1} {}`, "data after the JSON object"},
		{"entry without system", `{"lockfile-version": 1, "packages": [{"install-id": "a"}]}`, "packages[0] has no install-id or system"},
		{"duplicate entry", `{"lockfile-version": 1, "packages": [{"install-id": "a", "system": "s"}, {"install-id": "a", "system": "s"}]}`, `entry "a" for s appears twice`},
		{"wrong type", `{"lockfile-version": "1"}`, "cannot unmarshal string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeLock("flavor.lock", []byte(tt.data))
			if !errors.Is(err, ErrInvalidLock) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "decoding lock flavor.lock: ") {
				t.Fatalf("error %v; want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLockPythonDependencies(t *testing.T) {
	l := &Lock{LockfileVersion: 1, ManifestDigest: "sha256:x", Packages: []LockedPackage{
		{InstallID: "python-app", System: "linux/amd64"},
		{InstallID: "python-runtime", System: "linux/amd64", PythonDependencies: []string{"tinytable==1.2.0"}},
	}}
	data, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte(`"python-dependencies"`)); n != 1 {
		t.Fatalf("encoded lock names python-dependencies %d times, want once (omitted when empty):\n%s", n, data)
	}
	if !bytes.Contains(data, []byte("\"requested-flavor\": \"\",\n      \"python-dependencies\": [\n        \"tinytable==1.2.0\"\n      ]\n")) {
		t.Fatalf("python-dependencies not written after requested-flavor:\n%s", data)
	}
	back, err := DecodeLock("flavor.lock", data)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := back.Entry("python-runtime", "linux/amd64")
	if !ok || !slices.Equal(e.PythonDependencies, []string{"tinytable==1.2.0"}) {
		t.Fatalf("decoded entry %+v", e)
	}
	e.PythonDependencies[0] = "changed"
	if again, _ := back.Entry("python-runtime", "linux/amd64"); again.PythonDependencies[0] != "tinytable==1.2.0" {
		t.Fatal("Entry shares the python-dependencies slice with the lock")
	}
	if a, _ := back.Entry("python-app", "linux/amd64"); a.PythonDependencies != nil {
		t.Fatalf("app entry has python-dependencies %q", a.PythonDependencies)
	}
	// An empty list is omitted too, and decodes back to the same bytes.
	back.Packages[1].PythonDependencies = []string{}
	empty, _ := back.Encode()
	if bytes.Contains(empty, []byte("python-dependencies")) {
		t.Fatalf("empty python-dependencies written:\n%s", empty)
	}
}
