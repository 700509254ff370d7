package oci

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/flavor-dev/flavor/platform"
)

// resolveRegistry looks ref up in its registry, choosing p's manifest from an index.
func (r *Resolver) resolveRegistry(ctx context.Context, ref, plain string, p platform.Platform) (Resolved, error) {
	nr, err := parseRegistryRef(plain)
	if err != nil {
		return Resolved{}, err
	}
	ropts, _ := r.o.remoteOptions(ctx, plain, false)
	desc, err := remote.Get(nr, ropts...)
	if err != nil {
		return Resolved{}, fmt.Errorf("%s: %w", nr.Context().Name(), err)
	}
	what := nr.String()
	var img v1.Image
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return Resolved{}, fmt.Errorf("reading index %s: %w", what, err)
		}
		if img, err = imageFromIndex(idx, what, p); err != nil {
			return Resolved{}, err
		}
	} else if img, err = desc.Image(); err != nil {
		return Resolved{}, fmt.Errorf("reading %s: %w", what, err)
	}
	return describe(ref, img, what, p, SourceRegistry, true)
}

// describe checks img is for p and fills in a Resolved for it.
func describe(ref string, img v1.Image, what string, p platform.Platform, src Source, manifestKnown bool) (Resolved, error) {
	have, err := checkPlatform(img, what, p)
	if err != nil {
		return Resolved{}, err
	}
	id, err := img.ConfigName()
	if err != nil {
		return Resolved{}, fmt.Errorf("reading the config digest of %s: %w", what, err)
	}
	res := Resolved{Ref: ref, ImageID: id, Platform: have, Source: src, image: img}
	if manifestKnown {
		if res.Manifest, err = img.Digest(); err != nil {
			return Resolved{}, fmt.Errorf("reading the manifest digest of %s: %w", what, err)
		}
	}
	return res, nil
}

// imageFromIndex picks p's image from idx (descending into nested indexes), or fails listing
// the platforms idx has.
func imageFromIndex(idx v1.ImageIndex, what string, p platform.Platform) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading index %s: %w", what, err)
	}
	var have []string
	for _, d := range im.Manifests {
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading index %s in %s: %w", d.Digest, what, err)
			}
			if img, err := imageFromIndex(child, what, p); err == nil {
				return img, nil
			}
		case d.MediaType.IsImage():
			if d.Platform == nil {
				img, err := idx.Image(d.Digest)
				if err != nil {
					return nil, fmt.Errorf("reading image %s in %s: %w", d.Digest, what, err)
				}
				if _, err := checkPlatform(img, what, p); err == nil {
					return img, nil
				}
				continue
			}
			dp := platform.Platform{OS: d.Platform.OS, Arch: d.Platform.Architecture, Variant: d.Platform.Variant}
			if p.Matches(dp) {
				return idx.Image(d.Digest)
			}
			have = append(have, dp.Normalize().String())
		}
	}
	return nil, fmt.Errorf("%w: %s has no image for %s (it has: %s)", ErrPlatformMismatch, what, p, strings.Join(have, ", "))
}

// resolveLayout resolves "DIR", "DIR:TAG" or "DIR@DIGEST" in an OCI image layout.
func resolveLayout(ref, rest string, p platform.Platform) (Resolved, error) {
	dir, tag, digest, err := splitLayoutRef(rest)
	if err != nil {
		return Resolved{}, err
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return Resolved{}, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return Resolved{}, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	what := "OCI layout " + rest
	found := false
	var mismatch error
	for _, d := range im.Manifests {
		if (tag != "" && d.Annotations[refNameAnnotation] != tag) || (digest != v1.Hash{} && d.Digest != digest) {
			continue
		}
		found = true
		var img v1.Image
		if d.MediaType.IsIndex() {
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return Resolved{}, fmt.Errorf("reading %s: %w", what, err)
			}
			if img, err = imageFromIndex(child, what, p); err != nil {
				mismatch = err
				continue
			}
		} else if img, err = idx.Image(d.Digest); err != nil {
			return Resolved{}, fmt.Errorf("reading %s: %w", what, err)
		}
		res, err := describe(ref, img, what, p, SourceOCILayout, true)
		if err != nil {
			mismatch = err
			continue
		}
		return res, nil
	}
	if mismatch != nil {
		return Resolved{}, mismatch
	}
	if !found {
		return Resolved{}, fmt.Errorf("%w: %s has no image %s", ErrImageNotFound, dir, strings.TrimPrefix(rest, dir))
	}
	return Resolved{}, fmt.Errorf("%w: %s has nothing for %s", ErrImageNotFound, what, p)
}

// splitLayoutRef splits "DIR[:TAG|@DIGEST]". A colon belongs to the tag only when it comes after
// the last slash and DIR itself does not exist under the whole name.
func splitLayoutRef(s string) (dir, tag string, digest v1.Hash, err error) {
	if d, dg, ok := strings.Cut(s, "@"); ok {
		h, err := v1.NewHash(dg)
		if err != nil {
			return "", "", v1.Hash{}, fmt.Errorf("%w: digest %q: %v", ErrBadReference, dg, err)
		}
		return d, "", h, nil
	}
	i := strings.LastIndex(s, ":")
	if i > strings.LastIndex(s, "/") && i > 0 {
		if _, err := os.Stat(s); err != nil {
			return s[:i], s[i+1:], v1.Hash{}, nil
		}
	}
	if s == "" {
		return "", "", v1.Hash{}, fmt.Errorf("%w: empty OCI layout path", ErrBadReference)
	}
	return s, "", v1.Hash{}, nil
}

// resolveArchive resolves "FILE" or "FILE:NAME:TAG" in a docker-archive tarball.
func resolveArchive(ref, rest string, p platform.Platform) (Resolved, error) {
	file, tagText := rest, ""
	if _, err := os.Stat(rest); err != nil {
		if f, t, ok := strings.Cut(rest, ":"); ok {
			file, tagText = f, t
		}
	}
	var tag *name.Tag
	if tagText != "" {
		t, err := name.NewTag(tagText)
		if err != nil {
			return Resolved{}, fmt.Errorf("%w: tag %q in %s: %v", ErrBadReference, tagText, ref, err)
		}
		tag = &t
	}
	if _, err := os.Stat(file); err != nil {
		return Resolved{}, fmt.Errorf("%w: %v", ErrImageNotFound, err)
	}
	img, err := tarball.ImageFromPath(file, tag)
	if err != nil {
		if strings.Contains(err.Error(), "tag") {
			return Resolved{}, fmt.Errorf("%w: %s: %v", ErrImageNotFound, file, err)
		}
		return Resolved{}, fmt.Errorf("reading docker archive %s: %w", file, err)
	}
	return describe(ref, img, "docker archive "+rest, p, SourceArchive, false)
}
