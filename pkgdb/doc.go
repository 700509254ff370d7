// Package pkgdb reads the package databases a root filesystem carries — dpkg's status and
// info/*.list with the Debian copyright files, Alpine's lib/apk/db/installed, Python's
// *.dist-info directories — and says which installed package owns each file of a tree, with
// its version, license and package URL (purl).
//
// It parses bytes only: the builder feeds it what it copies out of a build container, the SBOM
// writer what it reads from a package's slots. Nothing here touches the network or the engine.
package pkgdb
