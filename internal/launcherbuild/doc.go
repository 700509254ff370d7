// Package launcherbuild builds the launcher executable (launcher/cmd/flavor-launcher) exactly as
// flavor ships it: static (CGO_ENABLED=0), reproducible flags, the flavorlauncher build tag, and
// two dependencies patched so that their package-level checksum tables are built when first
// used rather than at every start. `make launchers`, the tests (through internal/testbin) and the
// benchmarks all build through Build, so what is measured and tested is what ships.
//
// Why patch. Go runs every linked package's initialisers before main, and the launcher starts
// every run of every package. Two decoders the format requires compute tables at initialisation
// that the launcher's warm path (the package already extracted) never uses:
// klauspost/compress's zstd package and its internal/snapref build the CRC-32C (Castagnoli)
// tables for the Snappy framing format (the SSE4.2 tables cost about 0.13 ms and 9 KB on every
// start), and ulikunitz/xz builds the CRC-64 slicing tables (32 KB). No build tag or option of
// either library avoids them, and Go does not allow an -overlay of files in the module cache, so
// Prepare copies each module at the version go.mod requires into .cache/launcher-deps/, applies
// the patches (exact text replacements, each of which must match exactly once, so an upgrade
// that changes the code fails the build loudly instead of shipping an unpatched launcher), and
// writes a go.mod beside it (-modfile) that replaces the two modules with the copies. The
// patches change no behaviour: the tables are made by hash/crc32 and hash/crc64, which cache
// them, on the first checksum.
package launcherbuild
