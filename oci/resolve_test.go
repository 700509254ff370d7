package oci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/flavor-dev/flavor/platform"
)

// fakeStore is an in-memory ImageStore: LoadImage reads the image's config and layers through
// a docker-archive stream, as the Docker engine does.
type fakeStore struct {
	mu     sync.Mutex
	images map[string]ImageInfo // by id and by tag
	loads  int
}

func newFakeStore() *fakeStore { return &fakeStore{images: map[string]ImageInfo{}} }

func (f *fakeStore) InspectImage(_ context.Context, ref string) (ImageInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	info, ok := f.images[ref]
	if !ok {
		return ImageInfo{}, fmt.Errorf("inspecting %s: %w", ref, ErrImageNotFound)
	}
	return info, nil
}

func (f *fakeStore) LoadImage(_ context.Context, src v1.Image, tag string, written func(int64)) error {
	ref, err := name.NewTag("flavor.invalid/loaded:latest")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := tarball.Write(ref, src, &buf); err != nil {
		return err
	}
	if written != nil {
		written(int64(buf.Len()))
	}
	b := buf.Bytes()
	img, err := tarball.Image(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }, nil)
	if err != nil {
		return err
	}
	id, err := img.ConfigName()
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	f.images[id.String()] = ImageInfo{ID: id.String(), Platform: platform.Platform{OS: cf.OS, Arch: cf.Architecture, Variant: cf.Variant}}
	return nil
}

func (f *fakeStore) TagImage(_ context.Context, src, tag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	info, ok := f.images[src]
	if !ok {
		return ErrImageNotFound
	}
	f.images[tag] = info
	return nil
}

func (f *fakeStore) RemoveImage(_ context.Context, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.images, ref)
	return nil
}

// testImage is a tiny image for p, distinct per seed.
func testImage(t *testing.T, p platform.Platform, seed string) v1.Image {
	t.Helper()
	cf, err := empty.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Arch, p.Variant
	cf.Config.Labels = map[string]string{"seed": seed}
	img, err := mutate.ConfigFile(empty.Image, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func startRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func mustDigest(t *testing.T, img v1.Image) (config, manifest v1.Hash) {
	t.Helper()
	c, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return c, m
}

func TestResolveRegistryIndex(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t)
	amd, arm := testImage(t, platform.MustParse("linux/amd64"), "a"), testImage(t, platform.MustParse("linux/arm64"), "b")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	ref := host + "/base/multi:1"
	nr, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(nr, idx); err != nil {
		t.Fatal(err)
	}
	single := host + "/base/single:1"
	if _, err := Push(ctx, amd, single); err != nil {
		t.Fatal(err)
	}
	r, err := NewResolver(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		p    string
		want v1.Image
		err  error
	}{
		{ref, "linux/amd64", amd, nil},
		{ref, "linux/arm64", arm, nil},
		{"docker://" + ref, "linux/arm64/v8", arm, nil},
		{ref, "linux/s390x", nil, ErrPlatformMismatch},
		{single, "linux/amd64", amd, nil},
		{single, "linux/arm64", nil, ErrPlatformMismatch},
		{host + "/base/missing:1", "linux/amd64", nil, ErrImageNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.ref+"@"+tc.p, func(t *testing.T) {
			p := platform.MustParse(tc.p)
			res, err := r.Resolve(ctx, tc.ref, p)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !errors.Is(err, ErrImageNotFound) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				for _, want := range []string{tc.ref, p.String(), "flavor image import ROOTFS --platform " + p.String()} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error does not name %q: %v", want, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg, man := mustDigest(t, tc.want)
			if res.ImageID != cfg || res.Manifest != man || res.Source != SourceRegistry || res.Platform != p {
				t.Fatalf("resolved %+v, want config %s manifest %s", res, cfg, man)
			}
		})
	}
}

func TestResolveEngineFirstThenRegistry(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t)
	amd64, arm64 := platform.MustParse("linux/amd64"), platform.MustParse("linux/arm64")
	inRegistry := testImage(t, arm64, "registry")
	ref := host + "/base/busybox:1"
	if _, err := Push(ctx, inRegistry, ref); err != nil {
		t.Fatal(err)
	}
	store := newFakeStore()
	local := testImage(t, amd64, "engine")
	if _, err := Load(ctx, store, local, ref); err != nil {
		t.Fatal(err)
	}
	localID, _ := mustDigest(t, local)
	r, _ := NewResolver(store)

	// The engine has ref for amd64: used without asking the registry.
	res, err := r.Resolve(ctx, ref, amd64)
	if err != nil || res.Source != SourceEngine || res.ImageID != localID {
		t.Fatalf("amd64: %+v, %v; want the engine's %s", res, err, localID)
	}
	// For arm64 the engine's image does not fit; the registry's does.
	res, err = r.Resolve(ctx, ref, arm64)
	regID, _ := mustDigest(t, inRegistry)
	if err != nil || res.Source != SourceRegistry || res.ImageID != regID {
		t.Fatalf("arm64: %+v, %v; want the registry's %s", res, err, regID)
	}
	// docker-daemon: is engine-only, and says which platform it has.
	_, err = r.Resolve(ctx, "docker-daemon:"+ref, arm64)
	if !errors.Is(err, ErrPlatformMismatch) || !strings.Contains(err.Error(), "linux/amd64") || !strings.Contains(err.Error(), "linux/arm64") {
		t.Fatalf("engine mismatch error must name both platforms: %v", err)
	}
	// Provide loads the registry's image into the engine once, then finds it there.
	id, err := r.Provide(ctx, res, "flavor.local/base:arm64")
	if err != nil || id != regID.String() {
		t.Fatalf("Provide = %s, %v", id, err)
	}
	loads := store.loads
	if _, err := r.Provide(ctx, res, "flavor.local/base:arm64-again"); err != nil || store.loads != loads {
		t.Fatalf("second Provide loaded again (%d loads) or failed: %v", store.loads, err)
	}
	if info, err := store.InspectImage(ctx, "flavor.local/base:arm64-again"); err != nil || info.Platform != arm64 {
		t.Fatalf("tag not set: %+v, %v", info, err)
	}
}

func TestResolvePinned(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t)
	p := platform.MustParse("linux/amd64")
	ref := host + "/base/pinned:1"
	first := testImage(t, p, "first")
	if _, err := Push(ctx, first, ref); err != nil {
		t.Fatal(err)
	}
	firstID, firstManifest := mustDigest(t, first)
	r, _ := NewResolver(nil)
	for _, locked := range []v1.Hash{firstID, firstManifest} {
		if _, err := r.ResolvePinned(ctx, ref, p, locked); err != nil {
			t.Fatalf("pinned to %s: %v", locked, err)
		}
	}
	second := testImage(t, p, "second")
	if _, err := Push(ctx, second, ref); err != nil {
		t.Fatal(err)
	}
	secondID, _ := mustDigest(t, second)
	_, err := r.ResolvePinned(ctx, ref, p, firstID)
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), firstID.String()) || !strings.Contains(err.Error(), secondID.String()) {
		t.Fatalf("moved tag: err = %v; want ErrDigestMismatch naming both digests", err)
	}
}

func TestResolveLayoutAndArchive(t *testing.T) {
	ctx := context.Background()
	amd64, arm64 := platform.MustParse("linux/amd64"), platform.MustParse("linux/arm64")
	a, b := testImage(t, amd64, "a"), testImage(t, arm64, "b")
	dir := filepath.Join(t.TempDir(), "layout")
	if _, err := WriteLayout(dir, a, "base-amd64"); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteLayout(dir, b, "base-arm64"); err != nil {
		t.Fatal(err)
	}
	aID, aMan := mustDigest(t, a)
	bID, _ := mustDigest(t, b)
	archive := filepath.Join(t.TempDir(), "img.tar")
	if err := tarball.WriteToFile(archive, name.MustParseReference("example.com/base:arm64"), b); err != nil {
		t.Fatal(err)
	}
	r, _ := NewResolver(nil)
	tests := []struct {
		ref  string
		p    platform.Platform
		want v1.Hash
		src  Source
		err  error
	}{
		{"oci:" + dir + ":base-amd64", amd64, aID, SourceOCILayout, nil},
		{"oci:" + dir, arm64, bID, SourceOCILayout, nil},
		{"oci:" + dir + "@" + aMan.String(), amd64, aID, SourceOCILayout, nil},
		{"oci:" + dir + ":base-amd64", arm64, v1.Hash{}, 0, ErrPlatformMismatch},
		{"oci:" + dir + ":nope", amd64, v1.Hash{}, 0, ErrImageNotFound},
		{"oci:/nonexistent/layout", amd64, v1.Hash{}, 0, ErrImageNotFound},
		{"docker-archive:" + archive, arm64, bID, SourceArchive, nil},
		{"docker-archive:" + archive + ":example.com/base:arm64", arm64, bID, SourceArchive, nil},
		{"docker-archive:" + archive, amd64, v1.Hash{}, 0, ErrPlatformMismatch},
		{"docker-archive:/nonexistent.tar", amd64, v1.Hash{}, 0, ErrImageNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.ref+"@"+tc.p.String(), func(t *testing.T) {
			res, err := r.Resolve(ctx, tc.ref, tc.p)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.ImageID != tc.want || res.Source != tc.src {
				t.Fatalf("resolved %+v, want %s from %s", res, tc.want, tc.src)
			}
			if img, ok := res.Image(); !ok || img == nil {
				t.Fatal("no image content")
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1:5000": true, "localhost:5000": true, "[::1]:5000": true, "localhost": true,
		"registry.example.com": false, "10.0.0.1:5000": false, "index.docker.io": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v", host, got)
		}
	}
}
