package oci

import "errors"

// Sentinel errors callers branch on with errors.Is. Returned errors wrap them with what was being
// done, the object and, where there is one, the fix.
var (
	// ErrBadPlatform: a platform string is not "os/arch[/variant]".
	ErrBadPlatform = errors.New("bad platform")
	// ErrBadReference: an image reference cannot be parsed.
	ErrBadReference = errors.New("bad image reference")
	// ErrImageNotFound: no source that was tried has the image.
	ErrImageNotFound = errors.New("image not found")
	// ErrPlatformMismatch: an image exists but was made for another platform.
	ErrPlatformMismatch = errors.New("image platform mismatch")
	// ErrDigestMismatch: a reference no longer points at the digest it was locked to.
	ErrDigestMismatch = errors.New("image digest differs from the locked digest")
	// ErrBadArtifact: a registry artifact is not a flavor build-cache artifact or is malformed.
	ErrBadArtifact = errors.New("bad build-cache artifact")
)
