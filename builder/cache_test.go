package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const testKey = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// stageEntry writes an entry with one artifact (content body) into a staging dir of c.
func stageEntry(t *testing.T, c *Cache, key, body string, mutate func(*Metadata)) string {
	t.Helper()
	dir, err := c.stage()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	m := Metadata{Fingerprint: "a-test-1.0", Name: "a", Category: "test", Version: "1.0", CacheKey: key,
		Artifact: "a-test-1.0-linux-amd64.package.tar.zst", Size: int64(len(body)),
		Checksums: map[string]string{"sha256": hex.EncodeToString(sum[:])}}
	if mutate != nil {
		mutate(&m)
	}
	if err := os.WriteFile(filepath.Join(dir, m.Artifact), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeMetadata(filepath.Join(dir, "a-test-1.0-linux-amd64.metadata.json"), m); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCachePutGet(t *testing.T) {
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, ok, err := c.Get(ctx, testKey); ok || err != nil {
		t.Fatalf("empty cache: ok %v err %v", ok, err)
	}
	e, err := c.Put(ctx, testKey, stageEntry(t, c, testKey, "artifact bytes", nil))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(c.Dir(), "artifacts", "sha256", testKey[7:])
	if e.Dir != want || len(e.Artifacts) != 1 || e.Artifacts[0].Name != "a" {
		t.Fatalf("entry %+v; want dir %s", e, want)
	}
	got, ok, err := c.Get(ctx, testKey)
	if err != nil || !ok || got.Artifacts[0].Checksums["sha256"] != e.Artifacts[0].Checksums["sha256"] {
		t.Fatalf("get: %+v %v %v", got, ok, err)
	}
	// A second Put of the same key (another process won the race) keeps the first entry.
	if _, err := c.Put(ctx, testKey, stageEntry(t, c, testKey, "artifact bytes", nil)); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(filepath.Join(c.Dir(), "tmp")); len(left) != 0 {
		t.Errorf("staging directories left: %d", len(left))
	}
	if err := c.Remove(testKey); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Get(ctx, testKey); ok {
		t.Errorf("entry still there after Remove")
	}
}

func TestCacheRejectsBadEntries(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		body   string
		mutate func(*Metadata)
		after  func(dir string)
		want   string
	}{
		{"changed bytes", "x", nil, func(dir string) {
			os.WriteFile(filepath.Join(dir, "a-test-1.0-linux-amd64.package.tar.zst"), []byte("y"), 0o644)
		}, "has sha256"},
		{"wrong key", "x", func(m *Metadata) { m.CacheKey = "sha256:" + strings.Repeat("f", 64) }, nil, "records cache key"},
		{"path in artifact name", "x", func(m *Metadata) { m.Artifact = "../escape" }, nil, "artifact name"},
		{"missing artifact", "x", nil, func(dir string) {
			os.Remove(filepath.Join(dir, "a-test-1.0-linux-amd64.package.tar.zst"))
		}, "no such file"},
		{"only subpackages", "x", func(m *Metadata) { m.Parent = "test/p@1.0" }, nil, "only subpackages"},
		{"unknown field", "x", nil, func(dir string) {
			os.WriteFile(filepath.Join(dir, "a-test-1.0-linux-amd64.metadata.json"), []byte(`{"fingerprint":"a","surprise":1}`), 0o644)
		}, "unknown field"},
		{"no metadata", "x", nil, func(dir string) {
			os.Remove(filepath.Join(dir, "a-test-1.0-linux-amd64.metadata.json"))
		}, "no metadata"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := OpenCache(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			dir := stageEntry(t, c, testKey, tc.body, tc.mutate)
			if tc.after != nil {
				tc.after(dir)
			}
			if _, err := c.Put(ctx, testKey, dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Put: %v; want an error saying %q", err, tc.want)
			}
			// The same entry found in place is reported corrupt by Get.
			entry := filepath.Join(c.Dir(), "artifacts", "sha256", testKey[7:])
			if err := os.Rename(dir, entry); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := c.Get(ctx, testKey); ok || !errors.Is(err, ErrCacheCorrupt) {
				t.Errorf("Get: ok %v err %v; want ErrCacheCorrupt", ok, err)
			}
		})
	}
}

func TestCacheKeyValidation(t *testing.T) {
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"", "sha256:abc", "md5:" + strings.Repeat("0", 64), "sha256:" + strings.Repeat("G", 64), "sha256:../" + strings.Repeat("0", 61)} {
		if _, _, err := c.Get(context.Background(), k); err == nil {
			t.Errorf("key %q accepted", k)
		}
	}
}

// TestCacheNotFromEnvironment: the library reads no environment: without WithCacheDir or
// WithCache, Build has no cache, FLAVOR_CACHE or not (cmd/flavor resolves it).
func TestCacheNotFromEnvironment(t *testing.T) {
	t.Setenv("FLAVOR_CACHE", t.TempDir())
	if _, err := makeOptions(nil); err == nil || !strings.Contains(err.Error(), "WithCacheDir") {
		t.Fatalf("options without a cache: %v; want an error naming WithCacheDir", err)
	}
	dir := t.TempDir()
	o, err := makeOptions([]Option{WithCacheDir(dir)})
	if err != nil || o.cache.Dir() != dir {
		t.Fatalf("WithCacheDir(%s): %v", dir, err)
	}
	want := []string{filepath.Join(dir, "artifacts"), filepath.Join(dir, "tmp")}
	if got := CacheFolders(dir); !slices.Equal(got, want) {
		t.Fatalf("CacheFolders = %v, want %v", got, want)
	}
	for _, f := range want {
		if fi, err := os.Stat(f); err != nil || !fi.IsDir() {
			t.Errorf("the opened cache lacks %s: %v", f, err)
		}
	}
}
