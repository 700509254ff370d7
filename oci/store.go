package oci

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/flavor-dev/flavor/platform"
)

// ImageStore is a container engine's image store as the resolver and [Load] need it. Every
// engine of package engine implements it.
type ImageStore interface {
	// InspectImage describes an image by name or id; ErrImageNotFound when missing.
	InspectImage(ctx context.Context, ref string) (ImageInfo, error)
	// LoadImage adds img to the store, named tag when tag is set (a load without a tag leaves
	// the image unnamed). written, when not nil, is called from time to time with the bytes
	// transferred so far. How the image travels (a docker-archive stream, an OCI layout, a
	// content store) is the store's business.
	LoadImage(ctx context.Context, img v1.Image, tag string, written func(int64)) error
	// TagImage gives the image src the name tag.
	TagImage(ctx context.Context, src, tag string) error
}

// ImageInfo describes an image in the engine.
type ImageInfo struct {
	ID          string // the engine's image id (the config digest on the classic image store)
	Platform    platform.Platform
	Size        int64
	RepoTags    []string
	RepoDigests []string
	Labels      map[string]string
}
