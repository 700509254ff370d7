package oci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Build-cache artifacts in a registry are OCI 1.1 artifacts: an image manifest with
// artifactType [ArtifactType], the empty config ("{}", [EmptyConfigType]) and one layer per
// file, each annotated with its file name (org.opencontainers.image.title) and typed by
// [ArtifactMediaType]. Any OCI 1.1 registry stores them; older ones that check config media
// types may refuse them.
const (
	ArtifactType      = "application/vnd.flavor.artifact.v1"
	EmptyConfigType   = "application/vnd.oci.empty.v1+json"
	TarZstdMediaType  = "application/vnd.flavor.artifact.layer.v1.tar+zstd"
	MetadataMediaType = "application/vnd.flavor.artifact.metadata.v1+json"
	BlobMediaType     = "application/octet-stream"
	titleAnnotation   = "org.opencontainers.image.title"
)

var emptyConfig = []byte("{}")

// ArtifactMediaType is the layer media type of a file in a build-cache artifact: *.tar.zst is
// [TarZstdMediaType], *.json [MetadataMediaType], anything else [BlobMediaType].
func ArtifactMediaType(file string) types.MediaType {
	switch {
	case strings.HasSuffix(file, ".tar.zst"):
		return TarZstdMediaType
	case strings.HasSuffix(file, ".json"):
		return MetadataMediaType
	}
	return BlobMediaType
}

// PushArtifact pushes files (an artifact tar.zst and its metadata JSON, typically) as one OCI
// artifact to ref (REPO:TAG) and returns the manifest digest. File names (base names) must be
// distinct. Options: [WithKeychain], [WithTransport], [WithProgress].
func PushArtifact(ctx context.Context, ref string, files []string, opts ...Option) (v1.Hash, error) {
	img, err := newArtifactImage(files)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("pushing artifact %s: %w", ref, err)
	}
	return Push(ctx, img, ref, opts...)
}

// artifactImage is a v1.Image core for an artifact made of files.
type artifactImage struct {
	manifest []byte
	layers   map[v1.Hash]*fileLayer
}

func newArtifactImage(files []string) (v1.Image, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no files", ErrBadArtifact)
	}
	a := &artifactImage{layers: map[v1.Hash]*fileLayer{}}
	cfgSum := sha256.Sum256(emptyConfig)
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  ArtifactType,
		Config: v1.Descriptor{
			MediaType: EmptyConfigType, Size: int64(len(emptyConfig)),
			Digest: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", cfgSum)},
		},
	}
	seen := map[string]bool{}
	for _, f := range files {
		base := filepath.Base(f)
		if seen[base] {
			return nil, fmt.Errorf("%w: two files named %s", ErrBadArtifact, base)
		}
		seen[base] = true
		l, err := newFileBlob(f, ArtifactMediaType(base))
		if err != nil {
			return nil, err
		}
		a.layers[l.digest] = l
		m.Layers = append(m.Layers, v1.Descriptor{
			MediaType: l.media, Size: l.size, Digest: l.digest,
			Annotations: map[string]string{titleAnnotation: base},
		})
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	a.manifest = raw
	return partial.CompressedToImage(a)
}

func (a *artifactImage) RawConfigFile() ([]byte, error)      { return emptyConfig, nil }
func (a *artifactImage) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifactImage) RawManifest() ([]byte, error)        { return a.manifest, nil }

func (a *artifactImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := a.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("artifact has no blob %s", h)
}

// artifactFile is one file of a pulled artifact.
type artifactFile struct {
	name string
	desc v1.Descriptor
}

// parseArtifactManifest checks that raw is a flavor build-cache artifact manifest and returns its
// files. File names must be plain, distinct base names.
func parseArtifactManifest(raw []byte) ([]artifactFile, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var m v1.Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: decoding the manifest: %v", ErrBadArtifact, err)
	}
	if m.ArtifactType != ArtifactType {
		return nil, fmt.Errorf("%w: artifactType is %q, want %q", ErrBadArtifact, m.ArtifactType, ArtifactType)
	}
	if len(m.Layers) == 0 {
		return nil, fmt.Errorf("%w: no files", ErrBadArtifact)
	}
	seen := map[string]bool{}
	var out []artifactFile
	for _, l := range m.Layers {
		title := l.Annotations[titleAnnotation]
		if title == "" || title == "." || title == ".." || strings.ContainsAny(title, "/\\\x00") {
			return nil, fmt.Errorf("%w: bad file name %q", ErrBadArtifact, title)
		}
		if seen[title] {
			return nil, fmt.Errorf("%w: two files named %s", ErrBadArtifact, title)
		}
		seen[title] = true
		if l.Digest.Algorithm != "sha256" || len(l.Digest.Hex) != 64 || l.Size < 0 {
			return nil, fmt.Errorf("%w: file %s has digest %q, size %d", ErrBadArtifact, title, l.Digest, l.Size)
		}
		out = append(out, artifactFile{name: title, desc: l})
	}
	return out, nil
}

// PullArtifact downloads the artifact at ref into dir (created when missing), checking each
// file's digest and size while writing it, and returns the paths written. A file whose bytes do
// not match its digest is removed and the pull fails. Options: [WithKeychain], [WithTransport].
func PullArtifact(ctx context.Context, ref, dir string, opts ...Option) ([]string, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("pulling artifact %s: %w", ref, err)
	}
	r, err := parseRegistryRef(ref)
	if err != nil {
		return nil, fmt.Errorf("pulling artifact %s: %w", ref, err)
	}
	ropts, _ := o.remoteOptions(ctx, ref, false)
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("pulling artifact %s: %w", ref, err)
	}
	files, err := parseArtifactManifest(desc.Manifest)
	if err != nil {
		return nil, fmt.Errorf("pulling artifact %s: %w", ref, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pulling artifact %s: %w", ref, err)
	}
	var paths []string
	for _, f := range files {
		l, err := remote.Layer(r.Context().Digest(f.desc.Digest.String()), ropts...)
		if err != nil {
			return nil, fmt.Errorf("pulling %s of artifact %s: %w", f.name, ref, err)
		}
		p := filepath.Join(dir, f.name)
		if err := writeVerified(l, p, f.desc); err != nil {
			return nil, fmt.Errorf("pulling %s of artifact %s: %w", f.name, ref, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeVerified writes l's bytes to path through a temporary file, renaming it into place only
// when the bytes have the descriptor's digest and size.
func writeVerified(l v1.Layer, path string, want v1.Descriptor) error {
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pull-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	hw := newHashingWriter(tmp)
	if _, err := io.Copy(hw, io.LimitReader(rc, want.Size+1)); err != nil {
		return err
	}
	if got := hw.sum(); got != want.Digest || hw.n != want.Size {
		return fmt.Errorf("%w: got %s (%d bytes), want %s (%d bytes)", ErrBadArtifact, got, hw.n, want.Digest, want.Size)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
