package lock

import (
	"archive/tar"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// writeArtifact writes a .package.tar.zst holding files (name → content) and returns it.
func writeArtifact(t *testing.T, files map[string]string) *builder.Artifact {
	t.Helper()
	path := filepath.Join(t.TempDir(), "runtime.package.tar.zst")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, err := zstd.NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	for _, dir := range []string{"lib/", "lib/python3/"} {
		if err := tw.WriteHeader(&tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return &builder.Artifact{Package: "python/runtime@3.11", Path: path}
}

func TestPythonDependencies(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
		err   string
	}{
		{"two", map[string]string{"./lib/python3/flavor-resolved.txt": "Click==8.1.7\ntinytable==1.2.0\n", "bin/python3": "x"},
			[]string{"Click==8.1.7", "tinytable==1.2.0"}, ""},
		{"none resolved", map[string]string{"lib/python3/flavor-resolved.txt": ""}, nil, ""},
		{"no list", map[string]string{"bin/python3": "x"}, nil, `has no lib/python3/flavor-resolved.txt (built by an older flavor? run "flavor lock --update python-runtime")`},
		{"bad line", map[string]string{"lib/python3/flavor-resolved.txt": "tinytable 1.2.0\n"}, nil, `line "tinytable 1.2.0" is not name==version`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pythonDependencies(writeArtifact(t, tt.files))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := pythonDependencies(&builder.Artifact{Package: "python/runtime@3.11", Path: filepath.Join(t.TempDir(), "gone")}); err == nil ||
		!strings.Contains(err.Error(), "reading the resolved Python dependencies of python/runtime@3.11") {
		t.Fatalf("missing artifact: %v", err)
	}
}

func TestLockDiffPythonDependencies(t *testing.T) {
	locked := manifest.LockedPackage{InstallID: "python-runtime", CacheKey: "sha256:k", ArtifactDigest: "sha256:a",
		PythonDependencies: []string{"Click==8.1.7", "old-dep==1.0", "tinytable==1.2.0"}}
	tests := []struct {
		name string
		now  []string
		want []string
	}{
		{"same", []string{"Click==8.1.7", "old-dep==1.0", "tinytable==1.2.0"}, nil},
		{"same names spelled otherwise", []string{"click==8.1.7", "Old_Dep==1.0", "tinytable==1.2.0"}, nil},
		{"changed, added, removed", []string{"Click==8.1.7", "new.dep==2.0", "tinytable==1.3.0"}, []string{
			"Python dependency new.dep==2.0 resolved, not in the lock",
			"Python dependency old-dep==1.0 is locked, no longer resolved",
			"Python dependency tinytable resolved to 1.3.0, locked 1.2.0",
		}},
		{"lock without the field", nil, []string{
			"Python dependency Click==8.1.7 is locked, no longer resolved",
			"Python dependency old-dep==1.0 is locked, no longer resolved",
			"Python dependency tinytable==1.2.0 is locked, no longer resolved",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := locked
			now.PythonDependencies = tt.now
			if tt.want != nil {
				now.ArtifactDigest = "sha256:other" // a new resolution gives other bytes
			}
			got := lockDiff(locked, now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("diff %q, want %q", got, tt.want)
			}
		})
	}
	// The error flavor pack --locked gives names the dependency, both versions and the fix.
	err := &manifest.StaleError{InstallID: "python-runtime", System: "linux/amd64",
		Reason: strings.Join(pythonDepsDiff([]string{"tinytable==1.2.0"}, []string{"tinytable==1.3.0"}), "; ")}
	want := `flavor.lock entry "python-runtime" for linux/amd64 is stale: Python dependency tinytable resolved to 1.3.0, locked 1.2.0; run "flavor lock --update python-runtime"`
	if err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}
