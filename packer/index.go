package packer

import (
	"encoding/binary"
	"fmt"
	"hash/adler32"
)

// Sizes and constants of the PSPF/2025 layout (pspf-2025.md §1–§3, §16).
const (
	// FormatVersion is the only format_version readers accept (bytes 01 00 25 20).
	FormatVersion uint32 = 0x20250001
	// IndexSize is the length of the index block.
	IndexSize = 8192
	// TrailerSize is the length of the magic trailer: start magic, index, end magic.
	TrailerSize = 4 + IndexSize + 4
	// DescriptorSize is the length of one slot descriptor.
	DescriptorSize = 64
	// Alignment is the boundary our writer aligns the slot table and every slot to.
	Alignment = 8
	// MaxMetadataJSON is the largest uncompressed metadata JSON we write or read (the Rust
	// verifier reads at most 1 MiB).
	MaxMetadataJSON = 1 << 20
)

// MagicStart and MagicEnd frame the index at the end of every package: the UTF-8 bytes of
// U+1F4E6 (package) and U+1FA84 (magic wand).
var (
	MagicStart = [4]byte{0xF0, 0x9F, 0x93, 0xA6}
	MagicEnd   = [4]byte{0xF0, 0x9F, 0xAA, 0x84}
)

// Index is the 8192-byte index block, field by field at the spec/Python/Rust offsets of
// pspf-2025.md §3 (not Go's shifted ones). Reserved areas are not represented: they encode as
// zero, and a reader keeps the raw block to check them.
type Index struct {
	FormatVersion    uint32   // offset 0
	Checksum         uint32   // 4: Adler-32 of the block with this field zeroed
	PackageSize      uint64   // 8: the whole file including the trailer
	LauncherSize     uint64   // 16
	MetadataOffset   uint64   // 24
	MetadataSize     uint64   // 32
	SlotTableOffset  uint64   // 40
	SlotTableSize    uint64   // 48
	SlotCount        uint32   // 56
	Flags            uint32   // 60
	PublicKey        [32]byte // 64: raw Ed25519 public key
	MetadataChecksum [32]byte // 96: SHA-256 of the stored (gzip) metadata
	Signature        [64]byte // 128: Ed25519 over the uncompressed JSON; 192..640 stay zero
	AccessMode       uint8    // 640
	CacheStrategy    uint8    // 641
	CodecHint        uint8    // 642
	EncryptionHint   uint8    // 643
	PageSize         uint32   // 644
	MaxMemory        uint64   // 648
	MinMemory        uint64   // 656
	CPUFeatures      uint64   // 664
	GPURequirements  uint64   // 672
	NUMAHints        uint64   // 680
	StreamChunkSize  uint32   // 688
	BuildTimestamp   uint64   // 704
	BuildMachine     [32]byte // 712
	SourceHash       [32]byte // 744
	DependencyHash   [32]byte // 776
	LicenseID        [16]byte // 808
	ProvenanceURI    [8]byte  // 824
	Capabilities     uint64   // 832
	Requirements     uint64   // 840
	Extensions       uint64   // 848
	Compatibility    uint32   // 856
	ProtocolVersion  uint32   // 860
}

// reservedRanges are the index byte ranges no field covers; strict verification wants them zero.
var reservedRanges = [][2]int{{192, 640}, {692, 704}, {864, IndexSize}}

// MarshalBinary encodes the index into its 8192 bytes and fills in the Adler-32 checksum (the
// Checksum field of x is ignored).
func (x Index) MarshalBinary() ([]byte, error) {
	b := make([]byte, IndexSize)
	le := binary.LittleEndian
	le.PutUint32(b[0:], x.FormatVersion)
	le.PutUint64(b[8:], x.PackageSize)
	le.PutUint64(b[16:], x.LauncherSize)
	le.PutUint64(b[24:], x.MetadataOffset)
	le.PutUint64(b[32:], x.MetadataSize)
	le.PutUint64(b[40:], x.SlotTableOffset)
	le.PutUint64(b[48:], x.SlotTableSize)
	le.PutUint32(b[56:], x.SlotCount)
	le.PutUint32(b[60:], x.Flags)
	copy(b[64:96], x.PublicKey[:])
	copy(b[96:128], x.MetadataChecksum[:])
	copy(b[128:192], x.Signature[:])
	b[640], b[641], b[642], b[643] = x.AccessMode, x.CacheStrategy, x.CodecHint, x.EncryptionHint
	le.PutUint32(b[644:], x.PageSize)
	le.PutUint64(b[648:], x.MaxMemory)
	le.PutUint64(b[656:], x.MinMemory)
	le.PutUint64(b[664:], x.CPUFeatures)
	le.PutUint64(b[672:], x.GPURequirements)
	le.PutUint64(b[680:], x.NUMAHints)
	le.PutUint32(b[688:], x.StreamChunkSize)
	le.PutUint64(b[704:], x.BuildTimestamp)
	copy(b[712:744], x.BuildMachine[:])
	copy(b[744:776], x.SourceHash[:])
	copy(b[776:808], x.DependencyHash[:])
	copy(b[808:824], x.LicenseID[:])
	copy(b[824:832], x.ProvenanceURI[:])
	le.PutUint64(b[832:], x.Capabilities)
	le.PutUint64(b[840:], x.Requirements)
	le.PutUint64(b[848:], x.Extensions)
	le.PutUint32(b[856:], x.Compatibility)
	le.PutUint32(b[860:], x.ProtocolVersion)
	le.PutUint32(b[4:], IndexChecksum(b))
	return b, nil
}

// ParseIndex decodes an 8192-byte index block. It checks only the length; the format version and
// checksum are the verifier's business.
func ParseIndex(b []byte) (Index, error) {
	if len(b) != IndexSize {
		return Index{}, fmt.Errorf("parsing index: %d bytes, want %d: %w", len(b), IndexSize, ErrMalformed)
	}
	le := binary.LittleEndian
	var x Index
	x.FormatVersion = le.Uint32(b[0:])
	x.Checksum = le.Uint32(b[4:])
	x.PackageSize = le.Uint64(b[8:])
	x.LauncherSize = le.Uint64(b[16:])
	x.MetadataOffset = le.Uint64(b[24:])
	x.MetadataSize = le.Uint64(b[32:])
	x.SlotTableOffset = le.Uint64(b[40:])
	x.SlotTableSize = le.Uint64(b[48:])
	x.SlotCount = le.Uint32(b[56:])
	x.Flags = le.Uint32(b[60:])
	copy(x.PublicKey[:], b[64:96])
	copy(x.MetadataChecksum[:], b[96:128])
	copy(x.Signature[:], b[128:192])
	x.AccessMode, x.CacheStrategy, x.CodecHint, x.EncryptionHint = b[640], b[641], b[642], b[643]
	x.PageSize = le.Uint32(b[644:])
	x.MaxMemory = le.Uint64(b[648:])
	x.MinMemory = le.Uint64(b[656:])
	x.CPUFeatures = le.Uint64(b[664:])
	x.GPURequirements = le.Uint64(b[672:])
	x.NUMAHints = le.Uint64(b[680:])
	x.StreamChunkSize = le.Uint32(b[688:])
	x.BuildTimestamp = le.Uint64(b[704:])
	copy(x.BuildMachine[:], b[712:744])
	copy(x.SourceHash[:], b[744:776])
	copy(x.DependencyHash[:], b[776:808])
	copy(x.LicenseID[:], b[808:824])
	copy(x.ProvenanceURI[:], b[824:832])
	x.Capabilities = le.Uint64(b[832:])
	x.Requirements = le.Uint64(b[840:])
	x.Extensions = le.Uint64(b[848:])
	x.Compatibility = le.Uint32(b[856:])
	x.ProtocolVersion = le.Uint32(b[860:])
	return x, nil
}

// IndexChecksum is the Adler-32 of an 8192-byte index block with bytes 4..8 taken as zero
// (pspf-2025.md §4). It does not modify b.
func IndexChecksum(b []byte) uint32 {
	h := adler32.New()
	h.Write(b[:4])
	h.Write([]byte{0, 0, 0, 0})
	h.Write(b[8:])
	return h.Sum32()
}

// MarshalTrailer frames an encoded index with the two magic markers: the last 8200 bytes of a
// package.
func MarshalTrailer(index []byte) []byte {
	t := make([]byte, 0, TrailerSize)
	t = append(t, MagicStart[:]...)
	t = append(t, index...)
	return append(t, MagicEnd[:]...)
}

// splitTrailer checks the magic markers of the last 8200 bytes of a package and returns the index
// block inside them.
func splitTrailer(t []byte) ([]byte, error) {
	if len(t) != TrailerSize {
		return nil, fmt.Errorf("trailer is %d bytes, want %d: %w", len(t), TrailerSize, ErrBadMagic)
	}
	if [4]byte(t[:4]) != MagicStart {
		return nil, fmt.Errorf("start marker % x, want % x: %w", t[:4], MagicStart[:], ErrBadMagic)
	}
	if [4]byte(t[TrailerSize-4:]) != MagicEnd {
		return nil, fmt.Errorf("end marker % x, want % x: %w", t[TrailerSize-4:], MagicEnd[:], ErrBadMagic)
	}
	return t[4 : 4+IndexSize], nil
}
