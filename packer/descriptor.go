package packer

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/flavor-dev/flavor/ops"
)

// Descriptor is one 64-byte entry of the slot table (pspf-2025.md §7).
type Descriptor struct {
	ID           uint64 // every builder writes the slot index
	NameHash     uint64 // SHA-256(slot id)[:8] LE (FlavorPack's Go builder hashes the target)
	Offset       uint64 // absolute offset of the stored bytes
	Size         uint64 // stored length
	OriginalSize uint64 // length before the operations (our writer: the decoded length)
	Operations   uint64 // packed chain
	Checksum     uint64 // SHA-256(stored bytes)[:8] LE
	Purpose      Purpose
	Lifecycle    Lifecycle
	Priority     uint8
	Platform     uint8
	Reserved1    uint8
	Reserved2    uint8
	Permissions  uint16 // Unix mode bits
}

// MarshalBinary encodes the descriptor into its 64 bytes.
func (d Descriptor) MarshalBinary() ([]byte, error) {
	return d.appendBinary(make([]byte, 0, DescriptorSize)), nil
}

func (d Descriptor) appendBinary(b []byte) []byte {
	le := binary.LittleEndian
	b = le.AppendUint64(b, d.ID)
	b = le.AppendUint64(b, d.NameHash)
	b = le.AppendUint64(b, d.Offset)
	b = le.AppendUint64(b, d.Size)
	b = le.AppendUint64(b, d.OriginalSize)
	b = le.AppendUint64(b, d.Operations)
	b = le.AppendUint64(b, d.Checksum)
	b = append(b, byte(d.Purpose), byte(d.Lifecycle), d.Priority, d.Platform, d.Reserved1, d.Reserved2)
	return le.AppendUint16(b, d.Permissions)
}

// ParseDescriptor decodes a 64-byte descriptor.
func ParseDescriptor(b []byte) (Descriptor, error) {
	if len(b) != DescriptorSize {
		return Descriptor{}, fmt.Errorf("parsing descriptor: %d bytes, want %d: %w", len(b), DescriptorSize, ErrMalformed)
	}
	le := binary.LittleEndian
	return Descriptor{
		ID: le.Uint64(b[0:]), NameHash: le.Uint64(b[8:]), Offset: le.Uint64(b[16:]), Size: le.Uint64(b[24:]),
		OriginalSize: le.Uint64(b[32:]), Operations: le.Uint64(b[40:]), Checksum: le.Uint64(b[48:]),
		Purpose: Purpose(b[56]), Lifecycle: Lifecycle(b[57]), Priority: b[58], Platform: b[59],
		Reserved1: b[60], Reserved2: b[61], Permissions: le.Uint16(b[62:]),
	}, nil
}

// ops.Chain returns the descriptor's unpacked operations.
func (d Descriptor) Chain() ops.Chain { return ops.UnpackChain(d.Operations) }

// NameHash is the first 8 bytes of SHA-256(name) read as a little-endian u64.
func NameHash(name string) uint64 {
	sum := sha256.Sum256([]byte(name))
	return binary.LittleEndian.Uint64(sum[:8])
}

// ChecksumPrefix is the descriptor form of a SHA-256: its first 8 bytes as a little-endian u64.
func ChecksumPrefix(sum [32]byte) uint64 { return binary.LittleEndian.Uint64(sum[:8]) }

// Purpose is the descriptor's purpose byte (Python's table: 0 data, 1 code, 2 config, 3 media).
// No launcher reads it.
type Purpose uint8

// Purposes.
const (
	PurposeData   Purpose = 0
	PurposeCode   Purpose = 1
	PurposeConfig Purpose = 2
	PurposeMedia  Purpose = 3
)

var purposeNames = []string{"data", "code", "config", "media"}

// ParsePurpose maps a manifest purpose string to its byte. "" is data. FlavorPack's Go/Rust
// names are accepted too: payload → data, runtime → code, tool → config.
func ParsePurpose(s string) (Purpose, error) {
	switch k := strings.ToLower(strings.TrimSpace(s)); k {
	case "", "data", "payload":
		return PurposeData, nil
	case "code", "runtime":
		return PurposeCode, nil
	case "config", "tool":
		return PurposeConfig, nil
	case "media":
		return PurposeMedia, nil
	default:
		return 0, fmt.Errorf("unknown slot purpose %q%s (one of %s): %w",
			s, didYouMean(k, purposeNames), strings.Join(purposeNames, ", "), ErrInvalidInput)
	}
}

// String returns the purpose's name, or its number when unknown.
func (p Purpose) String() string {
	if int(p) < len(purposeNames) {
		return purposeNames[p]
	}
	return fmt.Sprintf("purpose(%d)", uint8(p))
}

// Lifecycle is the descriptor's lifecycle byte. Launchers act on the JSON string, not on it.
type Lifecycle uint8

// Lifecycles (codes of pspf-2025.md §7).
const (
	LifecycleInit      Lifecycle = 0
	LifecycleStartup   Lifecycle = 1
	LifecycleRuntime   Lifecycle = 2
	LifecycleShutdown  Lifecycle = 3
	LifecycleCache     Lifecycle = 4
	LifecycleTemporary Lifecycle = 5
	LifecycleLazy      Lifecycle = 6
	LifecycleEager     Lifecycle = 7
	LifecycleDev       Lifecycle = 8
	LifecycleConfig    Lifecycle = 9
	LifecyclePlatform  Lifecycle = 10
)

var lifecycleNames = []string{"init", "startup", "runtime", "shutdown", "cache", "temporary",
	"lazy", "eager", "dev", "config", "platform"}

// ParseLifecycle maps a manifest lifecycle string to its byte. "" is runtime. Aliases:
// cached → cache, temp → temporary, volatile (FlavorPack Go: re-extracted every run) → temporary.
func ParseLifecycle(s string) (Lifecycle, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	switch k {
	case "":
		return LifecycleRuntime, nil
	case "cached":
		return LifecycleCache, nil
	case "temp", "volatile":
		return LifecycleTemporary, nil
	}
	for i, n := range lifecycleNames {
		if n == k {
			return Lifecycle(i), nil
		}
	}
	return 0, fmt.Errorf("unknown slot lifecycle %q%s (one of %s): %w",
		s, didYouMean(k, append(lifecycleNames, "volatile")), strings.Join(lifecycleNames, ", "), ErrInvalidInput)
}

// String returns the lifecycle's name, or its number when unknown.
func (l Lifecycle) String() string {
	if int(l) < len(lifecycleNames) {
		return lifecycleNames[l]
	}
	return fmt.Sprintf("lifecycle(%d)", uint8(l))
}
