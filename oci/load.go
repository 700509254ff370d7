package oci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
)

// Load makes img available to the engine behind store and returns the engine's image id: when
// the engine already has an image with img's config digest for img's platform nothing is
// transferred; otherwise the store loads it (ImageStore.LoadImage). When tag is set the image is also given that name.
//
// Options: [WithProgress], [WithLogger].
func Load(ctx context.Context, store ImageStore, img v1.Image, tag string, opts ...Option) (string, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return "", fmt.Errorf("loading an image into the engine: %w", err)
	}
	id, err := img.ConfigName()
	if err != nil {
		return "", fmt.Errorf("loading an image into the engine: reading its config digest: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", fmt.Errorf("loading image %s into the engine: %w", id, err)
	}
	want := platform.Platform{OS: cf.OS, Arch: cf.Architecture, Variant: cf.Variant}.Normalize()
	what := fmt.Sprintf("loading image %s (%s) into the engine", shortID(id.String()), want)
	info, err := store.InspectImage(ctx, id.String())
	switch {
	case err == nil && want.Matches(info.Platform):
		o.logger.Debug("engine already has the image", "id", info.ID)
	case err == nil || errors.Is(err, ErrImageNotFound):
		if err := streamLoad(ctx, store, img, tag, o); err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		if info, err = inspectLoaded(ctx, store, id, tag); err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		if !want.Matches(info.Platform) {
			return "", fmt.Errorf("%s: the engine recorded it as %s: %w", what, info.Platform, ErrPlatformMismatch)
		}
	default:
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if tag != "" {
		if err := store.TagImage(ctx, info.ID, tag); err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
	}
	return info.ID, nil
}

// streamLoad hands img to the store, reporting the bytes it says it has transferred.
func streamLoad(ctx context.Context, store ImageStore, img v1.Image, tag string, o *options) error {
	var written func(int64)
	if o.progress != nil {
		var last int64
		written = func(n int64) {
			if n-last >= 1<<20 {
				last = n
				o.report(progress.Event{Stage: StageLoad, Message: tag, Done: n})
			}
		}
	}
	return store.LoadImage(ctx, img, tag, written)
}

// inspectLoaded finds a just-loaded image by config digest (the classic image store's id) or,
// on stores keyed otherwise, by its tag.
func inspectLoaded(ctx context.Context, store ImageStore, id v1.Hash, tag string) (ImageInfo, error) {
	info, err := store.InspectImage(ctx, id.String())
	if err == nil || tag == "" {
		return info, err
	}
	return store.InspectImage(ctx, tag)
}

// Push writes img to the registry as ref (a tag or digest reference) and returns the manifest
// digest. Registries on loopback addresses are spoken to over plain HTTP.
//
// Options: [WithKeychain], [WithTransport], [WithProgress].
func Push(ctx context.Context, img v1.Image, ref string, opts ...Option) (v1.Hash, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	r, err := parseRegistryRef(ref)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	ropts, stop := o.remoteOptions(ctx, ref, true)
	err = remote.Write(r, img, ropts...)
	stop()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	return d, nil
}

// WriteLayout adds img to the OCI image layout in dir (created when missing) under tag (the
// org.opencontainers.image.ref.name annotation), replacing an image of the same tag, and returns
// its manifest digest.
func WriteLayout(dir string, img v1.Image, tag string) (v1.Hash, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return v1.Hash{}, fmt.Errorf("creating OCI layout %s: %w", dir, err)
		}
	}
	var lopts []layout.Option
	if cf, err := img.ConfigFile(); err == nil {
		lopts = append(lopts, layout.WithPlatform(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}))
	}
	matcher := match.Annotation(refNameAnnotation, tag)
	if tag != "" {
		lopts = append(lopts, layout.WithAnnotations(map[string]string{refNameAnnotation: tag}))
	} else {
		d, err := img.Digest()
		if err != nil {
			return v1.Hash{}, fmt.Errorf("writing to OCI layout %s: %w", dir, err)
		}
		matcher = match.Digests(d)
	}
	if err := p.ReplaceImage(img, matcher, lopts...); err != nil {
		return v1.Hash{}, fmt.Errorf("writing to OCI layout %s: %w", dir, err)
	}
	d, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing to OCI layout %s: %w", dir, err)
	}
	return d, nil
}

const refNameAnnotation = "org.opencontainers.image.ref.name"

// parseRegistryRef parses ref, marking loopback registries insecure (plain HTTP).
func parseRegistryRef(ref string) (name.Reference, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReference, err)
	}
	if isLoopback(r.Context().RegistryStr()) {
		if r, err = name.ParseReference(ref, name.Insecure); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadReference, err)
		}
	}
	return r, nil
}

// isLoopback reports whether a registry host[:port] is on this machine.
func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// remoteOptions are the go-containerregistry options for one registry operation. For writes
// with a progress callback, updates are forwarded from ggcr's channel; the returned stop must be
// called when the operation returns, after which the callback is never called again (ggcr
// closes the channel itself, but a late buffered update must not reach a caller that has moved
// on).
func (o *options) remoteOptions(ctx context.Context, ref string, write bool) ([]remote.Option, func()) {
	ro := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.keychain)}
	if o.transport != nil {
		ro = append(ro, remote.WithTransport(o.transport))
	}
	if !write || o.progress == nil {
		return ro, func() {}
	}
	var mu sync.Mutex
	stopped := false
	ch := make(chan v1.Update, 16)
	go func() {
		for u := range ch {
			mu.Lock()
			if !stopped {
				o.report(progress.Event{Stage: StagePush, Message: ref, Done: u.Complete, Total: u.Total})
			}
			mu.Unlock()
		}
	}()
	return append(ro, remote.WithProgress(ch)), func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
	}
}

// shortID abbreviates an image id for messages.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
