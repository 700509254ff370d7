package oci

import (
	"context"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/flavor-dev/flavor/platform"
)

// Source says where a resolved image was found.
type Source int

// Sources of images, in the order a plain name is looked up (engine, then registry).
const (
	SourceEngine    Source = iota + 1 // the local container engine's image store
	SourceRegistry                    // a registry, through the Docker config keychain
	SourceOCILayout                   // an OCI image layout directory ("oci:DIR")
	SourceArchive                     // a docker-archive tarball ("docker-archive:FILE")
)

func (s Source) String() string {
	switch s {
	case SourceEngine:
		return "engine"
	case SourceRegistry:
		return "registry"
	case SourceOCILayout:
		return "oci-layout"
	case SourceArchive:
		return "docker-archive"
	}
	return "unknown"
}

// Resolved is an image reference resolved for one platform.
type Resolved struct {
	Ref      string  // the reference as given
	ImageID  v1.Hash // the config digest: the image id on the classic engine store
	Manifest v1.Hash // the platform manifest's digest; zero when unknown (engine, docker-archive)
	Platform platform.Platform
	Source   Source
	image    v1.Image // the image, for every source but the engine
}

// Image returns the image's content for sources other than the engine; ok is false for an image
// found in the engine (it is used there by id).
func (r Resolved) Image() (img v1.Image, ok bool) { return r.image, r.image != nil }

// Digest is the digest a lock records for r: its config digest (the one every source knows).
func (r Resolved) Digest() v1.Hash { return r.ImageID }

// Resolver turns image references into [Resolved] images for a target platform and makes them
// available to the engine.
//
// References:
//
//   - a plain name ("busybox", "127.0.0.1:5000/base:1", "name@sha256:…") is looked up in the
//     engine first (by name or id; an image already there is used without network, as Luet
//     issue #184 asks) and then in its registry, picking the platform's manifest from an index;
//   - "docker-daemon:NAME" only in the engine, "docker://NAME" only in the registry;
//   - "oci:DIR", "oci:DIR:TAG" or "oci:DIR@sha256:…" in an OCI image layout;
//   - "docker-archive:FILE" or "docker-archive:FILE:NAME:TAG" in an image tarball (docker save).
type Resolver struct {
	store ImageStore
	host  string
	o     *options
}

// NewResolver returns a Resolver that looks in the engine behind store (nil for none) and in
// registries. Options: [WithKeychain], [WithTransport], [WithLogger], [WithProgress].
func NewResolver(store ImageStore, opts ...Option) (*Resolver, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("making an image resolver: %w", err)
	}
	r := &Resolver{store: store, o: o, host: "the engine"}
	if h, ok := store.(interface{ Host() string }); ok {
		r.host = "the engine at " + h.Host()
	}
	return r, nil
}

// attempt records one place that was tried and what it said.
type attempt struct {
	where    string
	err      error
	mismatch bool
}

// Resolve finds ref for platform p. When nothing has it, the error wraps [ErrImageNotFound]
// (and [ErrPlatformMismatch] when an image of another platform was found), names the
// reference, the platform and every place tried, and says how to make the image available.
func (r *Resolver) Resolve(ctx context.Context, ref string, p platform.Platform) (Resolved, error) {
	if p.IsZero() {
		return Resolved{}, fmt.Errorf("resolving %s: %w (no platform given)", ref, ErrBadPlatform)
	}
	p = p.Normalize()
	var tried []attempt
	var res Resolved
	var err error
	switch kind, rest := splitTransport(ref); kind {
	case "oci":
		res, err = resolveLayout(ref, rest, p)
		tried = append(tried, attempt{where: "OCI layout " + rest, err: err})
	case "docker-archive":
		res, err = resolveArchive(ref, rest, p)
		tried = append(tried, attempt{where: "docker archive " + rest, err: err})
	case "docker-daemon":
		res, err = r.resolveEngine(ctx, ref, rest, p)
		tried = append(tried, attempt{where: r.host, err: err})
	case "docker":
		res, err = r.resolveRegistry(ctx, ref, rest, p)
		tried = append(tried, attempt{where: "registry", err: err})
	default:
		if r.store != nil {
			res, err = r.resolveEngine(ctx, ref, rest, p)
			tried = append(tried, attempt{where: r.host, err: err})
			if err == nil || ctx.Err() != nil {
				break
			}
		}
		res, err = r.resolveRegistry(ctx, ref, rest, p)
		tried = append(tried, attempt{where: "registry", err: err})
	}
	if err == nil {
		r.o.logger.Debug("resolved image", "ref", ref, "platform", p, "source", res.Source, "id", res.ImageID)
		return res, nil
	}
	if ctx.Err() != nil {
		return Resolved{}, fmt.Errorf("resolving %s for %s: %w", ref, p, context.Cause(ctx))
	}
	return Resolved{}, notFound(ref, p, tried)
}

// notFound builds the error of a failed resolution from what was tried.
func notFound(ref string, p platform.Platform, tried []attempt) error {
	var parts []string
	mismatch, bad := false, false
	for _, a := range tried {
		parts = append(parts, a.where+": "+a.err.Error())
		mismatch = mismatch || errors.Is(a.err, ErrPlatformMismatch)
		bad = bad || errors.Is(a.err, ErrBadReference)
	}
	if bad {
		return fmt.Errorf("resolving %s for %s: %w", ref, p, tried[len(tried)-1].err)
	}
	fix := fmt.Sprintf("make it with `flavor image import ROOTFS --platform %s --tag %s`, or push an image for %s to a reachable registry", p, plainName(ref), p)
	if mismatch {
		return fmt.Errorf("resolving %s for %s: %w: %w (tried %s); %s", ref, p, ErrImageNotFound, ErrPlatformMismatch, strings.Join(parts, "; "), fix)
	}
	return fmt.Errorf("resolving %s for %s: %w (tried %s); %s", ref, p, ErrImageNotFound, strings.Join(parts, "; "), fix)
}

// plainName is ref without a transport prefix, for the fix in error messages.
func plainName(ref string) string {
	if kind, rest := splitTransport(ref); kind == "" || kind == "docker" || kind == "docker-daemon" {
		return rest
	}
	return "NAME:TAG"
}

// splitTransport splits "oci:DIR" style references into the transport and the rest; a plain
// name has transport "". "docker://x" has transport "docker".
func splitTransport(ref string) (kind, rest string) {
	if r, ok := strings.CutPrefix(ref, "docker://"); ok {
		return "docker", r
	}
	for _, k := range []string{"oci", "docker-archive", "docker-daemon"} {
		if r, ok := strings.CutPrefix(ref, k+":"); ok {
			return k, r
		}
	}
	return "", ref
}

// ResolvePinned resolves ref like Resolve and checks it is still the image locked as locked
// (a config digest, or a manifest digest). When ref now points elsewhere the error wraps
// [ErrDigestMismatch] and names both digests.
func (r *Resolver) ResolvePinned(ctx context.Context, ref string, p platform.Platform, locked v1.Hash) (Resolved, error) {
	res, err := r.Resolve(ctx, ref, p)
	if err != nil {
		return Resolved{}, err
	}
	if res.ImageID == locked || (res.Manifest != v1.Hash{} && res.Manifest == locked) {
		return res, nil
	}
	return Resolved{}, fmt.Errorf("resolving %s for %s: %w: locked to %s, now %s (from the %s); "+
		"restore the locked image, or accept the new one with `flavor lock --update`",
		ref, p, ErrDigestMismatch, locked, res.ImageID, res.Source)
}

// Provide makes res available to the engine and returns the engine's image id; when tag is set
// the image gets that name too. An image found in the engine is only tagged; others are loaded
// unless the engine already has their config digest (see [Load]).
func (r *Resolver) Provide(ctx context.Context, res Resolved, tag string) (string, error) {
	if r.store == nil {
		return "", fmt.Errorf("providing %s to the engine: no engine", res.Ref)
	}
	if res.Source == SourceEngine {
		if tag != "" {
			if err := r.store.TagImage(ctx, res.ImageID.String(), tag); err != nil {
				return "", fmt.Errorf("providing %s to the engine: %w", res.Ref, err)
			}
		}
		return res.ImageID.String(), nil
	}
	if res.image == nil {
		return "", fmt.Errorf("providing %s to the engine: the resolved value carries no image (make it with Resolve)", res.Ref)
	}
	id, err := Load(ctx, r.store, res.image, tag, WithLogger(r.o.logger), WithProgress(r.o.progress))
	if err != nil {
		return "", fmt.Errorf("providing %s to the engine: %w", res.Ref, err)
	}
	return id, nil
}

// resolveEngine looks ref (a name or id) up in the engine's store.
func (r *Resolver) resolveEngine(ctx context.Context, ref, name string, p platform.Platform) (Resolved, error) {
	if r.store == nil {
		return Resolved{}, errors.New("no engine")
	}
	info, err := r.store.InspectImage(ctx, name)
	if errors.Is(err, ErrImageNotFound) {
		return Resolved{}, fmt.Errorf("%w: no image %s", ErrImageNotFound, name)
	}
	if err != nil {
		return Resolved{}, err
	}
	if !p.Matches(info.Platform) {
		return Resolved{}, fmt.Errorf("%w: the engine's %s is for %s, not %s (images in the engine hold one platform per name; use a tag per platform)", ErrPlatformMismatch, name, info.Platform, p)
	}
	id, err := v1.NewHash(info.ID)
	if err != nil {
		return Resolved{}, fmt.Errorf("reading the engine's id %q of %s: %w", info.ID, name, err)
	}
	return Resolved{Ref: ref, ImageID: id, Platform: info.Platform, Source: SourceEngine}, nil
}

// checkPlatform fails when img's config is for another platform than p.
func checkPlatform(img v1.Image, what string, p platform.Platform) (platform.Platform, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return platform.Platform{}, fmt.Errorf("reading the config of %s: %w", what, err)
	}
	have := platform.Platform{OS: cf.OS, Arch: cf.Architecture, Variant: cf.Variant}.Normalize()
	if !p.Matches(have) {
		return platform.Platform{}, fmt.Errorf("%w: %s is for %s, not %s", ErrPlatformMismatch, what, have, p)
	}
	return have, nil
}
