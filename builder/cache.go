package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Cache is a local content-addressed store of artifacts: one directory per cache key,
// <dir>/artifacts/sha256/<hex>/, holding a package's artifact (.package.tar.zst) and its
// .metadata.json, plus those of its subpackages. Entries are written into a temporary directory
// and renamed into place, so a reader sees a whole entry or none, and every artifact is checked
// against the digest its metadata records when it is read.
type Cache struct {
	dir string
}

// CacheEntry is one cache key's directory and the metadata of the artifacts it holds, the
// package's own first and then its subpackages' by name.
type CacheEntry struct {
	Key       string
	Dir       string
	Artifacts []Metadata
}

var keyPattern = regexp.MustCompile(`^sha256:([0-9a-f]{64})$`)

// keyHex returns the hex part of a "sha256:<hex>" cache key.
func keyHex(key string) (string, error) {
	m := keyPattern.FindStringSubmatch(key)
	if m == nil {
		return "", fmt.Errorf("cache key %q is not sha256:<64 hex digits>", key)
	}
	return m[1], nil
}

// CacheFolders are the folders of the cache rooted at root that hold the build cache (artifacts
// and unfinished downloads), which `flavor clean --all` removes. The root is shared with the
// launcher's workenvs, which are not among them.
func CacheFolders(root string) []string {
	return []string{filepath.Join(root, cacheArtifacts), filepath.Join(root, cacheTmp)}
}

// The folders of a cache root: artifacts/sha256/<hex>/ per cache key, and tmp/ for staging.
const (
	cacheArtifacts = "artifacts"
	cacheTmp       = "tmp"
)

// OpenCache opens (creating it when missing) the cache rooted at dir.
func OpenCache(dir string) (*Cache, error) {
	for _, d := range []string{filepath.Join(dir, cacheArtifacts, "sha256"), filepath.Join(dir, cacheTmp)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("opening the artifact cache %s: %w", dir, err)
		}
	}
	return &Cache{dir: dir}, nil
}

// Dir is the cache's root directory.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) entryDir(key string) (string, error) {
	h, err := keyHex(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(c.dir, cacheArtifacts, "sha256", h), nil
}

// Get returns the entry of key, its artifacts verified against their recorded digests; ok is
// false when the cache has none. A corrupt entry gives an error wrapping ErrCacheCorrupt.
func (c *Cache) Get(ctx context.Context, key string) (entry *CacheEntry, ok bool, err error) {
	dir, err := c.entryDir(key)
	if err != nil {
		return nil, false, err
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	e, err := readEntry(ctx, key, dir)
	if err != nil {
		return nil, false, fmt.Errorf("reading cache entry %s: %w", dir, err)
	}
	return e, true, nil
}

// Remove deletes the entry of key (a corrupt one, typically).
func (c *Cache) Remove(key string) error {
	dir, err := c.entryDir(key)
	if err != nil {
		return err
	}
	// Rename first so no reader sees a half-deleted entry.
	tmp, err := os.MkdirTemp(filepath.Join(c.dir, cacheTmp), "removed-")
	if err != nil {
		return fmt.Errorf("removing cache entry %s: %w", dir, err)
	}
	if err := os.Rename(dir, filepath.Join(tmp, "entry")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		os.RemoveAll(tmp)
		return fmt.Errorf("removing cache entry %s: %w", dir, err)
	}
	return os.RemoveAll(tmp)
}

// stage returns a new empty directory on the cache's filesystem, for an entry being made.
func (c *Cache) stage() (string, error) {
	d, err := os.MkdirTemp(filepath.Join(c.dir, cacheTmp), "entry-")
	if err != nil {
		return "", fmt.Errorf("making a staging directory in the cache %s: %w", c.dir, err)
	}
	return d, nil
}

// Put verifies the artifacts in src (a directory from stage, or any directory on the cache's
// filesystem) and moves it into place as the entry of key. When another process stored the key
// meanwhile, its entry is kept and src is removed.
func (c *Cache) Put(ctx context.Context, key, src string) (*CacheEntry, error) {
	dir, err := c.entryDir(key)
	if err != nil {
		return nil, err
	}
	e, err := readEntry(ctx, key, src)
	if err != nil {
		return nil, fmt.Errorf("storing cache entry %s: %w", key, err)
	}
	if err := os.Rename(src, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr != nil {
			return nil, fmt.Errorf("storing cache entry %s: %w", key, err)
		}
		os.RemoveAll(src) // someone else stored it first; theirs is checked like any entry
		return readEntry(ctx, key, dir)
	}
	e.Dir = dir
	return e, nil
}

// readEntry reads every metadata file of an entry directory and checks each artifact's size
// and digest.
func readEntry(ctx context.Context, key, dir string) (*CacheEntry, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*"+metadataSuffix))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no metadata in %s", ErrCacheCorrupt, dir)
	}
	e := &CacheEntry{Key: key, Dir: dir}
	for _, n := range names {
		m, err := readMetadata(n)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCacheCorrupt, err)
		}
		if m.CacheKey != key {
			return nil, fmt.Errorf("%w: %s records cache key %s, not %s", ErrCacheCorrupt, filepath.Base(n), m.CacheKey, key)
		}
		if err := verifyArtifact(ctx, filepath.Join(dir, m.Artifact), m); err != nil {
			return nil, err
		}
		e.Artifacts = append(e.Artifacts, m)
	}
	sort.Slice(e.Artifacts, func(i, j int) bool {
		a, b := e.Artifacts[i], e.Artifacts[j]
		if (a.Parent == "") != (b.Parent == "") {
			return a.Parent == ""
		}
		return a.Artifact < b.Artifact
	})
	if e.Artifacts[0].Parent != "" {
		return nil, fmt.Errorf("%w: %s holds only subpackages", ErrCacheCorrupt, dir)
	}
	return e, nil
}

// verifyArtifact checks the file at path against m's size and sha256.
func verifyArtifact(ctx context.Context, path string, m Metadata) error {
	if strings.ContainsAny(m.Artifact, `/\`) || m.Artifact == "" {
		return fmt.Errorf("%w: artifact name %q", ErrCacheCorrupt, m.Artifact)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCacheCorrupt, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return fmt.Errorf("verifying %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.Checksums["sha256"] || n != m.Size {
		return fmt.Errorf("%w: %s has sha256 %s and %d bytes; its metadata says %s and %d bytes", ErrCacheCorrupt, path, got, n, m.Checksums["sha256"], m.Size)
	}
	return nil
}

// ctxReader stops a long read when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// readMetadata decodes a metadata file strictly.
func readMetadata(path string) (Metadata, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Metadata{}, err
	}
	var m Metadata
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Metadata{}, fmt.Errorf("decoding %s: %w", path, err)
	}
	return m, nil
}

// CachedKeys lists the hex part of every cache key with an entry in the cache rooted at dir (as
// OpenCache lays it out), without creating anything; a missing cache has none. The engine images
// builds keep (package images, joined roots) are tagged with these keys.
func CachedKeys(dir string) (map[string]bool, error) {
	ents, err := os.ReadDir(filepath.Join(dir, cacheArtifacts, "sha256"))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the artifact cache %s: %w", dir, err)
	}
	keys := make(map[string]bool, len(ents))
	for _, e := range ents {
		if e.IsDir() && keyPattern.MatchString("sha256:"+e.Name()) {
			keys[e.Name()] = true
		}
	}
	return keys, nil
}
