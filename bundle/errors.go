package bundle

import "errors"

// Sentinel errors. Errors returned by this package wrap at most one of them, inside a message
// naming the manifest, platform and slot concerned.
var (
	// ErrInstallNeedsBuild: the manifest has [install] entries and no WithInstall source builds
	// them.
	ErrInstallNeedsBuild = errors.New("[install] needs the container build (WithInstall with an InstallSource)")
	// ErrLauncherPlatform: a launcher executable is for another platform than the package, or its
	// platform cannot be told from its header.
	ErrLauncherPlatform = errors.New("launcher does not match the platform")
	// ErrPlatform: a requested platform is not one of the manifest's systems, or no launcher is
	// built for it.
	ErrPlatform = errors.New("platform not available")
	// ErrSlot: a slot cannot be made (a missing source, a directory with operations that do not
	// start with tar, an id used twice).
	ErrSlot = errors.New("bad slot")
	// ErrOutput: the output location does not fit the packages (one file named for several
	// platforms).
	ErrOutput = errors.New("bad output location")
	// ErrKey: the signing key cannot be read, or the public key does not belong to it.
	ErrKey = errors.New("bad signing key")
)
