package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
)

func tinyRootFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "sh"), []byte("#!fake\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestImageImportToLayoutIsStable(t *testing.T) {
	root := tinyRootFS(t)
	layout := filepath.Join(t.TempDir(), "layout")
	var ids []string
	for i := 0; i < 2; i++ {
		stdout, stderr, code := runApp(t, "--output-format", "json", "image", "import", root,
			"--platform", "linux/arm64", "--tag", "base", "--oci-layout", layout)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var res importResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("output is not JSON: %v: %s", err, stdout)
		}
		if res.Platform != "linux/arm64" || !strings.HasPrefix(res.ImageID, "sha256:") || res.OCILayout != layout || res.EngineID != "" {
			t.Fatalf("result %+v", res)
		}
		ids = append(ids, res.ImageID+" "+res.ManifestDigest)
	}
	if ids[0] != ids[1] {
		t.Fatalf("two imports differ: %v", ids)
	}
	// The layout holds the image under its tag, for arm64.
	r, err := oci.NewResolver(nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Resolve(context.Background(), "oci:"+layout+":base", platform.MustParse("linux/arm64"))
	if err != nil {
		t.Fatal(err)
	}
	if res.ImageID.String()+" "+res.Manifest.String() != ids[0] {
		t.Fatalf("layout has %s %s, import printed %s", res.ImageID, res.Manifest, ids[0])
	}
}

func TestImageImportPushAndResolve(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/base/tiny:1"
	stdout, stderr, code := runApp(t, "image", "import", tinyRootFS(t), "--platform", "linux/amd64", "--tag", ref, "--push")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "image id") || !strings.Contains(stdout, "pushed") || !strings.Contains(stdout, ref) {
		t.Fatalf("text output: %q", stdout)
	}
	id := strings.Fields(strings.SplitN(stdout, "\n", 2)[0])[2]

	stdout, stderr, code = runApp(t, "--output-format", "json", "image", "resolve", "--no-engine", "--platform", "linux/amd64", ref)
	if code != 0 {
		t.Fatalf("resolve exit %d: %s", code, stderr)
	}
	var res resolveResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.ImageID != id || res.Source != "registry" {
		t.Fatalf("resolved %+v, want %s from the registry", res, id)
	}
	_, stderr, code = runApp(t, "image", "resolve", "--no-engine", "--platform", "linux/arm64", ref)
	if code == 0 || !strings.Contains(stderr, "linux/arm64") || !strings.Contains(stderr, "flavor image import") {
		t.Fatalf("resolving for another platform: exit %d, %s", code, stderr)
	}
}

func TestImageImportUsageErrors(t *testing.T) {
	root := tinyRootFS(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no platform", []string{"image", "import", root, "--tag", "x"}, "platform"},
		{"bad platform", []string{"image", "import", root, "--platform", "linux", "--tag", "x"}, "bad platform"},
		{"no tag for the engine", []string{"image", "import", root, "--platform", "linux/amd64"}, "--tag is required"},
		{"no rootfs", []string{"image", "import", "--platform", "linux/amd64", "--tag", "x"}, "ROOTFS"},
		{"missing rootfs", []string{"image", "import", "/nonexistent", "--platform", "linux/amd64", "--oci-layout", t.TempDir()}, "/nonexistent"},
		{"bad format", []string{"--output-format", "yaml", "image", "import", root, "--platform", "linux/amd64", "--oci-layout", t.TempDir()}, "yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runApp(t, tc.args...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want an error mentioning %q", code, stderr, tc.want)
			}
		})
	}
}
