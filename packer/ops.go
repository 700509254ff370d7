package packer

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Op is one operation code of a slot's chain (pspf-2025.md §8).
type Op uint8

// The operation codes this package knows. TAR and the four compressions are implemented both
// ways; AES256GCM is named only so chains carrying it can be packed and reported.
const (
	OpTar       Op = 0x01
	OpGzip      Op = 0x10
	OpBzip2     Op = 0x13
	OpXz        Op = 0x16
	OpZstd      Op = 0x1B
	OpAES256GCM Op = 0x31
)

// MaxChain is the most operations a packed chain holds.
const MaxChain = 8

var opNames = map[Op]string{
	OpTar: "tar", OpGzip: "gzip", OpBzip2: "bzip2", OpXz: "xz", OpZstd: "zstd", OpAES256GCM: "aes256gcm",
}

// opAliases maps every single-operation spelling we accept to its code.
var opAliases = map[string]Op{
	"tar": OpTar, "gzip": OpGzip, "gz": OpGzip, "bzip2": OpBzip2, "bz2": OpBzip2, "xz": OpXz,
	"zstd": OpZstd, "zst": OpZstd, "aes256gcm": OpAES256GCM, "aes256-gcm": OpAES256GCM,
}

// chainAliases maps whole-chain spellings (FlavorPack's named chains) to their operations.
var chainAliases = map[string]Chain{
	"raw": {}, "none": {}, "": {},
	"tgz": {OpTar, OpGzip}, "taz": {OpTar, OpGzip},
	"tbz2": {OpTar, OpBzip2}, "tbz": {OpTar, OpBzip2},
	"txz": {OpTar, OpXz}, "tzst": {OpTar, OpZstd},
}

// String returns the operation's name, or its hex code when unknown.
func (o Op) String() string {
	if n, ok := opNames[o]; ok {
		return n
	}
	return fmt.Sprintf("0x%02x", uint8(o))
}

// Chain is a slot's operations in the order they are applied at build time (tar first, then
// compressions). Extraction applies their inverses from the last to the first.
type Chain []Op

// Pack encodes the chain into the descriptor's u64, first operation in the lowest byte.
func (c Chain) Pack() (uint64, error) {
	if len(c) > MaxChain {
		return 0, fmt.Errorf("packing operations %v: %d operations, at most %d fit: %w", c, len(c), MaxChain, ErrInvalidInput)
	}
	var v uint64
	for i, op := range c {
		if op == 0 {
			return 0, fmt.Errorf("packing operations %v: operation %d is 0x00, which ends a chain: %w", c, i, ErrInvalidInput)
		}
		v |= uint64(op) << (8 * i)
	}
	return v, nil
}

// UnpackChain decodes a packed u64: bytes from the low end, stopping at the first zero byte.
func UnpackChain(v uint64) Chain {
	var c Chain
	for i := 0; i < MaxChain; i++ {
		op := Op(v >> (8 * i))
		if op == 0 {
			break
		}
		c = append(c, op)
	}
	return c
}

// HasTar reports whether the chain bundles a directory (its first operation is TAR).
func (c Chain) HasTar() bool { return len(c) > 0 && c[0] == OpTar }

// String returns the canonical manifest spelling: "raw", "tar", "gzip", "tar.gz", "tar.bz2",
// "tar.xz", "tar.zst", and "a|b|c" for any other chain. ParseChain reads every one of them back.
func (c Chain) String() string {
	switch {
	case len(c) == 0:
		return "raw"
	case len(c) == 2 && c[0] == OpTar:
		switch c[1] {
		case OpGzip:
			return "tar.gz"
		case OpBzip2:
			return "tar.bz2"
		case OpXz:
			return "tar.xz"
		case OpZstd:
			return "tar.zst"
		}
	}
	names := make([]string, len(c))
	for i, op := range c {
		names[i] = op.String()
	}
	return strings.Join(names, "|")
}

// ParseChain reads a manifest operations string: "raw"/"none"/"", a named chain ("tar.gz",
// "tgz", "tar.zst", "tar.bz2", "txz", …), or a list of operation names separated by "|", ",",
// "+" or whitespace ("tar|gzip", "tar, zstd"). Case does not matter.
func ParseChain(s string) (Chain, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	if c, ok := chainAliases[key]; ok {
		return append(Chain{}, c...), nil
	}
	var parts []string
	if strings.ContainsAny(key, "|,+ \t") {
		parts = strings.FieldsFunc(key, func(r rune) bool { return strings.ContainsRune("|,+ \t", r) })
	} else {
		parts = strings.Split(key, ".") // "tar.gz", "tar.zst", "gzip"
	}
	return parseOpNames(s, parts)
}

// ParseChainList reads the list form of a manifest operations value (["tar", "zstd"]).
func ParseChainList(names []string) (Chain, error) {
	if len(names) == 1 {
		return ParseChain(names[0])
	}
	lower := make([]string, len(names))
	for i, n := range names {
		lower[i] = strings.ToLower(strings.TrimSpace(n))
	}
	return parseOpNames(strings.Join(names, ","), lower)
}

func parseOpNames(orig string, parts []string) (Chain, error) {
	c := make(Chain, 0, len(parts))
	for _, p := range parts {
		op, ok := opAliases[p]
		if !ok {
			return nil, fmt.Errorf("parsing operations %q: unknown operation %q%s: %w",
				orig, p, didYouMean(p, knownOpSpellings()), ErrInvalidInput)
		}
		c = append(c, op)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("parsing operations %q: %w", orig, err)
	}
	return c, nil
}

// validate checks the shape rules: at most 8 operations, TAR only first.
func (c Chain) validate() error {
	if len(c) > MaxChain {
		return fmt.Errorf("%d operations, at most %d: %w", len(c), MaxChain, ErrInvalidInput)
	}
	for i, op := range c {
		if op == OpTar && i != 0 {
			return fmt.Errorf("tar must be the first operation: %w", ErrInvalidInput)
		}
		if op == 0 {
			return fmt.Errorf("operation %d is 0x00: %w", i, ErrInvalidInput)
		}
	}
	return nil
}

// UnmarshalJSON accepts either a string ("tar.zst") or a list (["tar","zstd"]).
func (c *Chain) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		parsed, err := ParseChain(s)
		if err != nil {
			return err
		}
		*c = parsed
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("operations must be a string or a list of strings: %w", ErrInvalidInput)
	}
	parsed, err := ParseChainList(list)
	if err != nil {
		return err
	}
	*c = parsed
	return nil
}

func knownOpSpellings() []string {
	out := make([]string, 0, len(opAliases)+len(chainAliases))
	for k := range opAliases {
		out = append(out, k)
	}
	for k := range chainAliases {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}
