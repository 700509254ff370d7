package ops

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// Errors wrapped by this package's functions.
var (
	// ErrInvalid: an operations string or chain is malformed (an unknown name, tar not first,
	// too many operations).
	ErrInvalid = errors.New("invalid operations")
	// ErrUnsupported: an operation has no codec in this build (named only, such as aes256gcm),
	// or its code is unknown.
	ErrUnsupported = errors.New("unsupported operation")
)

// Op is one operation code of a slot's chain (pspf-2025.md §8).
type Op uint8

// MaxChain is the most operations a packed chain holds.
const MaxChain = 8

// codec turns one operation's stored bytes back into its input, and (for writers) its input into
// stored bytes. The methods are unexported so the linker drops every newWriter from programs
// that never call NewWriter.
type codec interface {
	newReader(r io.Reader) (io.ReadCloser, error)
	newWriter(w io.Writer, concurrency int) (io.WriteCloser, error)
}

// definition is what an operation's file declares.
type definition struct {
	op      Op
	name    string   // canonical name in manifests and reports ("gzip")
	aliases []string // other spellings of the single operation ("gz")
	ext     string   // suffix after "tar." in the canonical chain spelling ("gz" → "tar.gz")
	tarred  []string // named whole chains meaning tar then this ("tgz", "taz")
	codec   codec    // nil: named only (tar is the caller's business; aes256gcm is not implemented)
}

// defs holds every defined operation, in the order their files are initialised. A slice scanned
// linearly (a handful of entries) instead of maps keeps the launcher, which links this table,
// free of map initialisation.
var defs []*definition

// define registers an operation; each operation's file calls it once from a package variable,
// with a statically initialised definition (so the launcher's start-up does no more than append
// a pointer). Tests check that codes and spellings are unique (TestVocabularyIsConsistent).
func define(d *definition) Op {
	defs = append(defs, d)
	return d.op
}

// lookup returns the definition of o, or nil.
func lookup(o Op) *definition {
	for _, d := range defs {
		if d.op == o {
			return d
		}
	}
	return nil
}

// byName returns the operation spelled name (a name or an alias).
func byName(name string) (Op, bool) {
	for _, d := range defs {
		if d.name == name || slices.Contains(d.aliases, name) {
			return d.op, true
		}
	}
	return 0, false
}

// byChain returns the chain a whole-chain spelling names: raw/none/"", "tar.<ext>", "tgz", ….
func byChain(name string) (Chain, bool) {
	switch name {
	case "raw", "none", "":
		return Chain{}, true
	}
	for _, d := range defs {
		if (d.ext != "" && name == "tar."+d.ext) || slices.Contains(d.tarred, name) {
			return Chain{Tar, d.op}, true
		}
	}
	return nil, false
}

// String returns the operation's name, or its hex code when unknown.
func (o Op) String() string {
	if d := lookup(o); d != nil {
		return d.name
	}
	return fmt.Sprintf("0x%02x", uint8(o))
}

// Known reports whether o is an operation of this vocabulary.
func (o Op) Known() bool { return lookup(o) != nil }

// Writable reports whether a chain may use o when writing: TAR, or an operation with a codec.
func (o Op) Writable() bool {
	d := lookup(o)
	return d != nil && (o == Tar || d.codec != nil)
}

// Names returns the canonical names of the operations a manifest may use when writing, sorted by
// code.
func Names() []string {
	codes := make([]Op, 0, len(defs))
	for _, d := range defs {
		if d.op.Writable() {
			codes = append(codes, d.op)
		}
	}
	slices.Sort(codes)
	out := make([]string, len(codes))
	for i, o := range codes {
		out[i] = o.String()
	}
	return out
}

// Chain is a slot's operations in the order they are applied at build time (tar first, then
// compressions). Extraction applies their inverses from the last to the first.
type Chain []Op

// Pack encodes the chain into the descriptor's u64, first operation in the lowest byte.
func (c Chain) Pack() (uint64, error) {
	if len(c) > MaxChain {
		return 0, fmt.Errorf("packing operations %v: %d operations, at most %d fit: %w", c, len(c), MaxChain, ErrInvalid)
	}
	var v uint64
	for i, op := range c {
		if op == 0 {
			return 0, fmt.Errorf("packing operations %v: operation %d is 0x00, which ends a chain: %w", c, i, ErrInvalid)
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
func (c Chain) HasTar() bool { return len(c) > 0 && c[0] == Tar }

// Names returns the operations' names ("tar", "zstd").
func (c Chain) Names() []string {
	out := make([]string, len(c))
	for i, op := range c {
		out[i] = op.String()
	}
	return out
}

// String returns the canonical manifest spelling: "raw", "tar", "gzip", "tar.gz", "tar.bz2",
// "tar.xz", "tar.zst", and "a|b|c" for any other chain. ParseChain reads every one of them back.
func (c Chain) String() string {
	if len(c) == 0 {
		return "raw"
	}
	if len(c) == 2 && c[0] == Tar {
		if d := lookup(c[1]); d != nil && d.ext != "" {
			return "tar." + d.ext
		}
	}
	return strings.Join(c.Names(), "|")
}

// ParseChain reads a manifest operations string: "raw"/"none"/"", a named chain ("tar.gz",
// "tgz", "tar.zst", "tar.bz2", "txz", …), or a list of operation names separated by "|", ",",
// "+" or whitespace ("tar|gzip", "tar, zstd"). Case does not matter. Errors wrap ErrInvalid.
func ParseChain(s string) (Chain, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	if c, ok := byChain(key); ok {
		return c, nil
	}
	var parts []string
	if strings.ContainsAny(key, "|,+ \t") {
		parts = strings.FieldsFunc(key, func(r rune) bool { return strings.ContainsRune("|,+ \t", r) })
	} else {
		parts = strings.Split(key, ".") // "tar.gz", "tar.zst", "gzip"
	}
	return parseNames(s, parts)
}

// ParseChainList reads the list form of a manifest operations value (["tar", "zstd"]); a list of
// one element is read as ParseChain reads a string.
func ParseChainList(names []string) (Chain, error) {
	if len(names) == 1 {
		return ParseChain(names[0])
	}
	lower := make([]string, len(names))
	for i, n := range names {
		lower[i] = strings.ToLower(strings.TrimSpace(n))
	}
	return parseNames(strings.Join(names, ","), lower)
}

func parseNames(orig string, parts []string) (Chain, error) {
	c := make(Chain, 0, len(parts))
	for _, p := range parts {
		op, ok := byName(p)
		if !ok {
			if named, ok := byChain(p); ok && len(parts) > 1 && len(named) > 0 {
				return nil, fmt.Errorf("parsing operations %q: %q is a whole chain (%s), not one operation: %w", orig, p, Chain(named).Names(), ErrInvalid)
			}
			return nil, fmt.Errorf("parsing operations %q: unknown operation %q%s (want %s, or a chain such as tar.zst): %w",
				orig, p, didYouMean(p, Spellings()), strings.Join(Names(), ", "), ErrInvalid)
		}
		c = append(c, op)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("parsing operations %q: %w", orig, err)
	}
	return c, nil
}

// Validate checks the shape rules of pspf-2025.md §8: at most MaxChain operations, none 0x00,
// TAR only first.
func (c Chain) Validate() error {
	if len(c) > MaxChain {
		return fmt.Errorf("%d operations, at most %d: %w", len(c), MaxChain, ErrInvalid)
	}
	for i, op := range c {
		if op == Tar && i != 0 {
			return fmt.Errorf("tar must be the first operation, and only once: %w", ErrInvalid)
		}
		if op == 0 {
			return fmt.Errorf("operation %d is 0x00: %w", i, ErrInvalid)
		}
	}
	return nil
}

// CheckWritable reports the first operation of c that cannot be written by this build (one named
// only, such as aes256gcm), as an error wrapping ErrUnsupported.
func (c Chain) CheckWritable() error {
	for _, op := range c {
		if !op.Writable() {
			return fmt.Errorf("operation %s cannot be written by this flavor (want %s): %w", op, strings.Join(Names(), ", "), ErrUnsupported)
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
		return fmt.Errorf("operations must be a string or a list of strings: %w", ErrInvalid)
	}
	parsed, err := ParseChainList(list)
	if err != nil {
		return err
	}
	*c = parsed
	return nil
}

// Spellings returns every name ParseChain accepts for one operation or a whole chain, sorted.
func Spellings() []string {
	out := []string{"raw", "none"}
	for _, d := range defs {
		out = append(out, d.name)
		out = append(out, d.aliases...)
		out = append(out, d.tarred...)
		if d.ext != "" {
			out = append(out, "tar."+d.ext)
		}
	}
	sort.Strings(out)
	return out
}

// NewReader returns a reader of op's input, reading op's stored bytes from r. Close releases the
// decoder; it does not close r. TAR and operations without a codec are errors wrapping
// ErrUnsupported.
func NewReader(op Op, r io.Reader) (io.ReadCloser, error) {
	d := lookup(op)
	if d == nil || d.codec == nil {
		return nil, fmt.Errorf("operation %s: %w", op, ErrUnsupported)
	}
	return d.codec.newReader(r)
}

// NewWriter returns a writer that applies op to what is written and writes the stored bytes to
// w, using up to concurrency goroutines where the codec can. Close flushes; it does not close w.
func NewWriter(op Op, w io.Writer, concurrency int) (io.WriteCloser, error) {
	d := lookup(op)
	if d == nil || d.codec == nil {
		return nil, fmt.Errorf("encoding %s: %w", op, ErrUnsupported)
	}
	return d.codec.newWriter(w, max(concurrency, 1))
}
