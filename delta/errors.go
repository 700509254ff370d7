package delta

import "errors"

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrUnsupportedOverlay means the upper directory uses an overlayfs feature whose data lives
	// outside the entry's own path (redirect_dir renames, metacopy copy-ups). Docker's overlay2
	// driver mounts without them; an engine that enables them must be read through FromChanges.
	ErrUnsupportedOverlay = errors.New("unsupported overlayfs feature")

	// ErrUnsafePath means an artifact entry would be written outside the target directory, or a
	// hard link points outside the artifact.
	ErrUnsafePath = errors.New("entry escapes the target directory")

	// ErrUnsupportedEntry means a stream holds an entry this package cannot represent in an
	// artifact (for example a sparse file or an unknown tar type).
	ErrUnsupportedEntry = errors.New("unsupported entry")
)
