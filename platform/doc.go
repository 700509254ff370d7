// Package platform is flavor's one model of a target platform: an operating system, an
// architecture and an optional variant ("linux/arm/v7"). Parse reads every spelling users and
// other tools write (OCI "linux/arm64", Nix and Flox "aarch64-linux", FlavorPack "linux_arm64",
// uname names such as x86_64 and ppc64el) into one normalised Platform; Normalize applies
// containerd's rules (github.com/containerd/platforms) plus the Debian and uname aliases it lacks.
// The package also lists the systems a launcher is built for and tells an executable's platform
// from its ELF, Mach-O or PE header. It imports nothing of flavor's.
package platform
