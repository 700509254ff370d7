package packer

import (
	"errors"

	"github.com/flavor-dev/flavor/ops"
)

// Sentinel errors. Every error this package returns wraps at most one of them (test with
// errors.Is) inside a message naming the file and, where it applies, the slot and entry.
var (
	// ErrBadMagic: the last 8200 bytes are not framed by the PSPF markers (not a package, or
	// something was appended after the trailer).
	ErrBadMagic = errors.New("bad PSPF trailer magic")
	// ErrBadVersion: the index format_version is not 0x20250001.
	ErrBadVersion = errors.New("unsupported PSPF format version")
	// ErrIndexChecksum: the index Adler-32 does not match the index bytes.
	ErrIndexChecksum = errors.New("index checksum mismatch")
	// ErrPackageSize: the index package_size is not the real file size.
	ErrPackageSize = errors.New("package size mismatch")
	// ErrMetadataChecksum: the SHA-256 of the stored metadata does not match the index.
	ErrMetadataChecksum = errors.New("metadata checksum mismatch")
	// ErrBadSignature: the Ed25519 signature over the metadata JSON does not verify.
	ErrBadSignature = errors.New("bad signature")
	// ErrUnsigned: the package carries no signature (all 64 bytes zero).
	ErrUnsigned = errors.New("package is not signed")
	// ErrUntrusted: the package is signed by a key outside the configured trusted set.
	ErrUntrusted = errors.New("package signed by an untrusted key")
	// ErrSlotTable: the slot table is out of bounds or disagrees with the signed metadata.
	ErrSlotTable = errors.New("slot table does not match the signed metadata")
	// ErrSlotChecksum: a slot's stored bytes do not match the checksum in the signed metadata or
	// its descriptor.
	ErrSlotChecksum = errors.New("slot checksum mismatch")
	// ErrLauncherChecksum: the launcher prefix does not match the checksum in the signed metadata.
	ErrLauncherChecksum = errors.New("launcher checksum mismatch")
	// ErrLayout: strict-level layout hygiene failed (non-zero padding or reserved bytes,
	// overlapping regions, non-zero flags).
	ErrLayout = errors.New("package layout is not canonical")
	// ErrMalformed: the package cannot be read at all (offsets out of bounds, corrupt gzip or
	// JSON, metadata over 1 MiB).
	ErrMalformed = errors.New("malformed package")
	// ErrUnsupportedOperation: an operation code this implementation does not encode or decode
	// (the same value as ops.ErrUnsupported).
	ErrUnsupportedOperation = ops.ErrUnsupported
	// ErrSlotSize: a slot decodes to more bytes than its descriptor's original_size declares, or
	// its tar entries declare more (a decompression bomb is refused before it fills the disk).
	ErrSlotSize = errors.New("slot is larger than its declared size")
	// ErrUnsafeEntry: extraction refused an entry (absolute name, "..", a link leaving the
	// destination, a path through a symlink, a device node or fifo).
	ErrUnsafeEntry = errors.New("unsafe archive entry")
	// ErrSlotRule: a slot's content breaks the slot rule (see Slot.TreeRoot): an entry the launcher
	// would refuse, found when writing the package.
	ErrSlotRule = errors.New("slot content the launcher cannot unpack")
	// ErrInvalidInput: the description of a package to write is incomplete or inconsistent.
	ErrInvalidInput = errors.New("invalid package description")
)
