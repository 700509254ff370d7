package builder

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/platform"
)

// TestLuetRetrieveNames: a retrieve glob written for Luet's artifact names (no platform, Luet's
// compression) finds our artifact of the stage's platform by its metadata, never one of another
// platform; several flavors of one package resolve to the one the package builds on, or fail.
func TestLuetRetrieveNames(t *testing.T) {
	amd64, arm64 := platform.MustParse("linux/amd64"), platform.MustParse("linux/arm64")
	dest := t.TempDir()
	write := func(artifact, fingerprint string, p platform.Platform, key string) {
		t.Helper()
		m := Metadata{Fingerprint: fingerprint, Platform: p.String(), Artifact: artifact, CacheKey: key}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		stemName := strings.TrimSuffix(artifact, artifactSuffix)
		if err := os.WriteFile(filepath.Join(dest, stemName+metadataSuffix), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dest, artifact), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a-test-1.0-linux-amd64.package.tar.zst", "a-test-1.0", amd64, "sha256:a")
	write("a-test-1.0-linux-arm64.package.tar.zst", "a-test-1.0", arm64, "sha256:a-arm")
	write("b-test-1.0-linux-amd64-ssl.package.tar.zst", "b-test-1.0", amd64, "sha256:b-ssl")
	write("b-test-1.0-linux-amd64--ssl.package.tar.zst", "b-test-1.0", amd64, "sha256:b-nossl")
	os.WriteFile(filepath.Join(dest, "notes.metadata.json"), []byte("{not json"), 0o644) // not ours: ignored

	stageFor := func(p platform.Platform, deps ...string) *stage {
		n := &node{platform: p}
		for _, k := range deps {
			n.deps = append(n.deps, &node{key: k})
		}
		return &stage{b: &builder{dest: dest}, n: n}
	}
	tests := []struct {
		name  string
		st    *stage
		glob  string
		want  []string
		error string
	}{
		{"Luet's glob", stageFor(amd64), "a-test-1.0.package.*", []string{"a-test-1.0-linux-amd64.package.tar.zst"}, ""},
		{"Luet's gzip name", stageFor(amd64), "a-test-1.0.package.tar.gz", []string{"a-test-1.0-linux-amd64.package.tar.zst"}, ""},
		{"uncompressed name", stageFor(arm64), "a-test-1.0.package.tar", []string{"a-test-1.0-linux-arm64.package.tar.zst"}, ""},
		{"the other platform", stageFor(arm64), "a-test-*.package.tar.zst", []string{"a-test-1.0-linux-arm64.package.tar.zst"}, ""},
		{"no such package", stageFor(amd64), "c-test-1.0.package.*", nil, ""},
		{"a directory in the glob", stageFor(amd64), "x/a-test-1.0.package.*", nil, ""},
		{"flavor built on", stageFor(amd64, "sha256:b-nossl"), "b-test-1.0.package.*", []string{"b-test-1.0-linux-amd64--ssl.package.tar.zst"}, ""},
		{"flavors ambiguous", stageFor(amd64), "b-test-1.0.package.*", nil, "several flavors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.st.b.luetMatches(tt.st.n, tt.glob)
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("err = %v, want one containing %q", err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range got {
				names = append(names, filepath.Base(p))
			}
			if strings.Join(names, " ") != strings.Join(tt.want, " ") {
				t.Errorf("matches %v, want %v", names, tt.want)
			}
		})
	}
}
