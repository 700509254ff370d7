package engine

import "errors"

// Sentinel errors callers branch on with errors.Is. Returned errors wrap them with what was being
// done, the object and, where there is one, the fix. A missing image is oci.ErrImageNotFound.
var (
	// ErrEngineUnreachable: the container engine does not answer.
	ErrEngineUnreachable = errors.New("container engine unreachable")
	// ErrContainerNotFound: the engine has no such container.
	ErrContainerNotFound = errors.New("container not found")
	// ErrNoEmulation: the engine cannot run containers of a foreign architecture.
	ErrNoEmulation = errors.New("no emulation for a foreign architecture")
	// ErrImageInUse: an image cannot be removed because a container uses it.
	ErrImageInUse = errors.New("image in use by a container")
)
