// Package packer reads and writes PSPF/2025 packages: slot operations (tar, gzip, bzip2, xz,
// zstd), the slot table, the 8192-byte index and its trailer, the gzip metadata, Ed25519 signing,
// and verification of every byte against the signed metadata.
//
// # Writing
//
// Write takes a Spec (launcher bytes, package name and version, execution, runtime environment
// rules, setup commands, workenv directories, slots, extra metadata keys) and a signer
// (WithSigner with KeyFromSeed, GenerateKey or keys.LoadSigningKey) and writes the package
// atomically: launcher, gzip metadata at launcher_size, the 8-aligned slot table and slots, the
// trailer last. Directories are tarred deterministically (TarDir) and, by default, compressed
// with zstd. The same Spec, key and source date epoch (WithSourceDateEpoch)
// give byte-identical files.
//
// Two choices go beyond FlavorPack's builders:
//   - A raw slot shorter than 16 bytes is stored gzip-compressed (descriptor and metadata say
//     gzip), because FlavorPack's Go launcher misreads shorter stored slots.
//   - The signed metadata carries an "integrity" key pinning the launcher's SHA-256 and every
//     descriptor's bytes (offset zeroed), so a verifier can check the bytes PSPF leaves unsigned.
//     Other readers ignore the key.
//
// # Reading and verifying
//
// Open (or NewPackage for an io.ReaderAt) finds the index from the end of the file and checks
// the trailer, index, metadata, signature, trust and slot table at the configured Level
// (LevelStandard by default: every check fatal). It never reads slot or launcher bytes, so it is
// the whole cost of a warm start. VerifySlot, VerifyLauncher and VerifyContent check the rest;
// Verify does both for a path. OpenSlot streams a slot's decoded content and verifies it when the
// stream ends; ExtractSlot and ExtractAll unpack slots safely (see ExtractSlot), in one pass with
// WithStagingDest when the caller discards the destination on failure. The reader accepts every
// layout FlavorPack's Go, Rust and Python builders write. Reading links neither encoding/json
// (ParseMetadata has its own decoder, held to encoding/json by a fuzz target) nor encoder code, so
// the launcher stays small.
//
// Failures wrap exported sentinels (ErrBadMagic, ErrBadVersion, ErrIndexChecksum,
// ErrPackageSize, ErrMetadataChecksum, ErrUnsigned, ErrBadSignature, ErrUntrusted, ErrSlotTable,
// ErrSlotChecksum, ErrLauncherChecksum, ErrLayout, ErrMalformed, ErrUnsafeEntry, …) in messages
// naming the file and slot. Failures a lower level lets through are returned by Warnings.
//
// # Trusted keys
//
// WithTrustedKeys makes Open refuse packages signed by any other key (ErrUntrusted).
// ParseTrustedKeys of package packer/keys, which reads and writes key files, reads the list form
// used by `flavor verify --public-key` and by the launcher's FLAVOR_TRUSTED_KEYS variable: items
// separated by commas or by the OS path-list separator (":" on Unix, ";" on Windows), each either
// 64 hex digits or the path of a key file (PEM public key, PEM private key, or 64 hex digits).
// Key files live apart so that readers of packages (the launcher) do not link crypto/x509.
package packer
