package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
)

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestArtifactRoundTrip(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t)
	src := t.TempDir()
	payload := bytes.Repeat([]byte("zstd frame bytes "), 10000)
	files := []string{
		writeFile(t, src, "hello-app-1.0-linux-amd64.tar.zst", payload),
		writeFile(t, src, "hello-app-1.0-linux-amd64.metadata.json", []byte(`{"name":"hello"}`)),
	}
	ref := host + "/cache/hello:abc123"
	var events int
	digest, err := PushArtifact(ctx, ref, files, WithProgress(func(progress.Event) { events++ }))
	if err != nil {
		t.Fatal(err)
	}

	// The registry holds an OCI artifact of our type, with one typed, titled layer per file.
	nr, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(nr)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest != digest {
		t.Fatalf("pushed %s, registry has %s", digest, desc.Digest)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != ArtifactType || m.Config.MediaType != EmptyConfigType || len(m.Layers) != 2 ||
		m.Layers[0].MediaType != TarZstdMediaType || m.Layers[1].MediaType != MetadataMediaType {
		t.Fatalf("manifest: %s", desc.Manifest)
	}

	out := filepath.Join(t.TempDir(), "pulled")
	paths, err := PullArtifact(ctx, ref, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 {
		t.Fatalf("pulled %v", paths)
	}
	for i, p := range paths {
		got, _ := os.ReadFile(p)
		want, _ := os.ReadFile(files[i])
		if filepath.Base(p) != filepath.Base(files[i]) || !bytes.Equal(got, want) {
			t.Fatalf("file %d: %s differs from %s", i, p, files[i])
		}
	}
	if events == 0 {
		t.Error("no progress events while pushing")
	}
}

// corruptingTransport serves blob downloads with one byte changed.
type corruptingTransport struct{ rt http.RoundTripper }

func (c corruptingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.rt.RoundTrip(r)
	if err != nil || !strings.Contains(r.URL.Path, "/blobs/") || r.Method != http.MethodGet {
		return res, err
	}
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	res.Body.Close()
	b := buf.Bytes()
	if len(b) > 0 {
		b[0] ^= 0xff
	}
	res.Body = nopCloser{bytes.NewReader(b)}
	return res, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func TestPullArtifactRejects(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t)
	src := t.TempDir()
	f := writeFile(t, src, "a.tar.zst", []byte("payload"))
	ref := host + "/cache/a:1"
	if _, err := PushArtifact(ctx, ref, []string{f}); err != nil {
		t.Fatal(err)
	}
	t.Run("corrupted blob", func(t *testing.T) {
		out := t.TempDir()
		_, err := PullArtifact(ctx, ref, out, WithTransport(corruptingTransport{remote.DefaultTransport}))
		if err == nil {
			t.Fatal("corrupted blob accepted")
		}
		if _, statErr := os.Stat(filepath.Join(out, "a.tar.zst")); statErr == nil {
			t.Fatal("corrupted file left in place")
		}
	})
	t.Run("not an artifact", func(t *testing.T) {
		img := testImage(t, platform.MustParse("linux/amd64"), "x")
		if _, err := Push(ctx, img, host+"/cache/image:1"); err != nil {
			t.Fatal(err)
		}
		_, err := PullArtifact(ctx, host+"/cache/image:1", t.TempDir())
		if !errors.Is(err, ErrBadArtifact) {
			t.Fatalf("err = %v, want ErrBadArtifact", err)
		}
	})
	t.Run("duplicate names", func(t *testing.T) {
		g := writeFile(t, t.TempDir(), "a.tar.zst", []byte("other"))
		if _, err := PushArtifact(ctx, ref, []string{f, g}); !errors.Is(err, ErrBadArtifact) {
			t.Fatalf("err = %v, want ErrBadArtifact", err)
		}
	})
}

func TestParseArtifactManifest(t *testing.T) {
	good := `{"schemaVersion":2,"artifactType":"` + ArtifactType + `","config":{"mediaType":"` + EmptyConfigType + `","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},` +
		`"layers":[{"mediaType":"x","size":1,"digest":"sha256:` + strings.Repeat("a", 64) + `","annotations":{"org.opencontainers.image.title":%q}}]}`
	tests := []struct {
		name, raw string
		ok        bool
	}{
		{"good", strings.Replace(good, "%q", `"a.tar.zst"`, 1), true},
		{"path in title", strings.Replace(good, "%q", `"../a"`, 1), false},
		{"no title", strings.Replace(good, "%q", `""`, 1), false},
		{"other type", strings.Replace(strings.Replace(good, "%q", `"a"`, 1), ArtifactType, "application/x", 1), false},
		{"garbage", "{", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := parseArtifactManifest([]byte(tc.raw))
			if tc.ok != (err == nil) {
				t.Fatalf("parse = %v, %v", files, err)
			}
			if !tc.ok && !errors.Is(err, ErrBadArtifact) {
				t.Fatalf("err = %v, want ErrBadArtifact", err)
			}
		})
	}
}

func FuzzParseArtifactManifest(f *testing.F) {
	f.Add([]byte(`{"artifactType":"` + ArtifactType + `","layers":[{"digest":"sha256:` + strings.Repeat("a", 64) + `","annotations":{"org.opencontainers.image.title":"x"}}]}`))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := parseArtifactManifest(b)
		if err != nil {
			return
		}
		for _, file := range files {
			if file.name != filepath.Base(file.name) || file.name == ".." || file.name == "." {
				t.Fatalf("unsafe file name accepted: %q", file.name)
			}
		}
	})
}
