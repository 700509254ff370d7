package packer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// Package is an opened PSPF/2025 package. Opening reads and checks the trailer, index, metadata,
// signature and slot table at the configured level, and never slot bytes: that is the whole cost
// of a warm start. Slot bytes are read and checked by VerifySlot, OpenSlot and ExtractSlot.
// A Package is safe for concurrent use by several goroutines.
type Package struct {
	name     string
	r        io.ReaderAt
	size     int64
	closer   io.Closer
	level    Level
	trusted  []ed25519.PublicKey
	trustSet bool
	logger   *slog.Logger

	index    Index
	rawIndex []byte
	meta     *Metadata
	descs    []Descriptor

	mu       sync.Mutex // guards warnings
	warnings []Warning
}

// Open opens the package file at path and checks its header (see Package). Options: WithLevel,
// WithTrustedKeys, WithLogger.
func Open(ctx context.Context, path string, opts ...Option) (*Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening package: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening package: %w", err)
	}
	p, err := NewPackage(ctx, f, st.Size(), append([]Option{WithName(path)}, opts...)...)
	if err != nil {
		f.Close()
		return nil, err
	}
	p.closer = f
	return p, nil
}

// NewPackage reads a package from r, whose length is size (the real file size), and checks its
// header like Open. WithName names it in errors.
func NewPackage(ctx context.Context, r io.ReaderAt, size int64, opts ...Option) (*Package, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	p := &Package{name: o.name, r: r, size: size, level: o.level, trusted: o.trusted, trustSet: o.trustSet, logger: o.logger}
	if p.name == "" {
		p.name = "package"
	}
	if err := p.readHeader(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Close closes the file opened by Open (nothing for NewPackage).
func (p *Package) Close() error {
	if p.closer == nil {
		return nil
	}
	return p.closer.Close()
}

// Name returns the path or name the package was opened with.
func (p *Package) Name() string { return p.name }

// Size returns the real size of the package.
func (p *Package) Size() int64 { return p.size }

// Level returns the verification level the package was opened at.
func (p *Package) Level() Level { return p.level }

// Index returns the decoded index.
func (p *Package) Index() Index { return p.index }

// RawIndex returns a copy of the 8192 index bytes as stored.
func (p *Package) RawIndex() []byte { return bytes.Clone(p.rawIndex) }

// Metadata returns the parsed metadata; Metadata().JSON() is the exact signed JSON. The caller
// must not modify it.
func (p *Package) Metadata() *Metadata { return p.meta }

// PublicKey returns the public key stored in the index.
func (p *Package) PublicKey() ed25519.PublicKey { return bytes.Clone(p.index.PublicKey[:]) }

// NumSlots returns the number of slot descriptors.
func (p *Package) NumSlots() int { return len(p.descs) }

// Descriptor returns slot i's descriptor.
func (p *Package) Descriptor(i int) (Descriptor, error) {
	if i < 0 || i >= len(p.descs) {
		return Descriptor{}, fmt.Errorf("reading slot %d of %s: only %d slots: %w", i, p.name, len(p.descs), ErrInvalidInput)
	}
	return p.descs[i], nil
}

// SlotInfo returns slot i's metadata entry, and false when the metadata has none for it.
func (p *Package) SlotInfo(i int) (SlotInfo, bool) {
	if i < 0 || i >= len(p.meta.Slots) {
		return SlotInfo{}, false
	}
	return p.meta.Slots[i], true
}

// Warnings returns the failed checks the level let through while opening and verifying.
func (p *Package) Warnings() []Warning {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Warning(nil), p.warnings...)
}

// outcome applies the level policy to a failed check: nil when it is skipped or downgraded to a
// warning (recorded), err when it is fatal.
func (p *Package) outcome(c check, name string, err error) error {
	if err == nil {
		return nil
	}
	run, fatal := p.level.policy(c)
	if !run {
		return nil
	}
	if fatal {
		return err
	}
	p.mu.Lock()
	p.warnings = append(p.warnings, Warning{Check: name, Err: err})
	p.mu.Unlock()
	p.logger.Warn("verification warning", "package", p.name, "check", name, "err", err)
	return nil
}

func (p *Package) runs(c check) bool { run, _ := p.level.policy(c); return run }

func (p *Package) readHeader(ctx context.Context) error {
	if p.size < TrailerSize {
		return fmt.Errorf("reading trailer of %s: file is %d bytes, shorter than the %d-byte trailer: %w", p.name, p.size, TrailerSize, ErrBadMagic)
	}
	trailer := make([]byte, TrailerSize)
	if _, err := p.r.ReadAt(trailer, p.size-TrailerSize); err != nil {
		return fmt.Errorf("reading trailer of %s: %w", p.name, err)
	}
	raw, err := splitTrailer(trailer)
	if err != nil {
		return fmt.Errorf("reading trailer of %s: %w", p.name, err)
	}
	p.rawIndex = raw
	p.index, _ = ParseIndex(raw)
	x := &p.index
	if x.FormatVersion != FormatVersion {
		return fmt.Errorf("reading index of %s: format_version 0x%08x, want 0x%08x: %w", p.name, x.FormatVersion, FormatVersion, ErrBadVersion)
	}
	if sum := IndexChecksum(raw); sum != x.Checksum {
		err := fmt.Errorf("verifying index of %s: Adler-32 is 0x%08x, the index says 0x%08x: %w", p.name, sum, x.Checksum, ErrIndexChecksum)
		if err := p.outcome(checkIndex, "index checksum", err); err != nil {
			return err
		}
	}
	if x.PackageSize != uint64(p.size) {
		err := fmt.Errorf("verifying size of %s: file is %d bytes, the index says %d: %w", p.name, p.size, x.PackageSize, ErrPackageSize)
		if err := p.outcome(checkIndex, "package size", err); err != nil {
			return err
		}
	}
	if err := p.readMetadata(ctx); err != nil {
		return err
	}
	if err := p.checkSignature(); err != nil {
		return err
	}
	if err := p.readSlotTable(); err != nil {
		return err
	}
	return p.checkHeaderLayout()
}

// body is the part of the file before the trailer; every region must lie inside it.
func (p *Package) body() uint64 { return uint64(p.size - TrailerSize) }

func (p *Package) inBody(off, n uint64) bool { return off <= p.body() && n <= p.body()-off }

func (p *Package) readMetadata(ctx context.Context) error {
	x := &p.index
	if !p.inBody(x.MetadataOffset, x.MetadataSize) {
		return fmt.Errorf("reading metadata of %s: %d bytes at %d lie outside the %d-byte body: %w", p.name, x.MetadataSize, x.MetadataOffset, p.body(), ErrMalformed)
	}
	if x.MetadataSize > MaxMetadataJSON+MaxMetadataJSON/8 {
		return fmt.Errorf("reading metadata of %s: %d stored bytes is more than 1 MiB of JSON can take: %w", p.name, x.MetadataSize, ErrMalformed)
	}
	stored := make([]byte, x.MetadataSize)
	if _, err := p.r.ReadAt(stored, int64(x.MetadataOffset)); err != nil {
		return fmt.Errorf("reading metadata of %s: %w", p.name, err)
	}
	if p.runs(checkIndex) {
		if sum := sha256.Sum256(stored); sum != x.MetadataChecksum {
			err := fmt.Errorf("verifying metadata of %s: SHA-256 is %s, the index says %s: %w", p.name,
				hex.EncodeToString(sum[:8]), hex.EncodeToString(x.MetadataChecksum[:8]), ErrMetadataChecksum)
			if err := p.outcome(checkIndex, "metadata checksum", err); err != nil {
				return err
			}
		}
	}
	js, err := gunzipMetadata(stored)
	if err != nil {
		return fmt.Errorf("reading metadata of %s: %w", p.name, err)
	}
	m, err := ParseMetadata(js)
	if err != nil {
		return fmt.Errorf("reading metadata of %s: %w", p.name, err)
	}
	p.meta = m
	return ctx.Err()
}

// gunzipMetadata decompresses the stored metadata, at most 1 MiB of JSON. Like FlavorPack's Python
// reader it accepts uncompressed JSON too.
func gunzipMetadata(stored []byte) ([]byte, error) {
	if len(stored) > 0 && stored[0] == '{' {
		if len(stored) > MaxMetadataJSON {
			return nil, fmt.Errorf("JSON is over 1 MiB: %w", ErrMalformed)
		}
		return stored, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(stored))
	if err != nil {
		return nil, fmt.Errorf("decompressing: %v: %w", err, ErrMalformed)
	}
	defer zr.Close()
	js, err := io.ReadAll(io.LimitReader(zr, MaxMetadataJSON+1))
	if err != nil {
		return nil, fmt.Errorf("decompressing: %v: %w", err, ErrMalformed)
	}
	if len(js) > MaxMetadataJSON {
		return nil, fmt.Errorf("JSON is over 1 MiB: %w", ErrMalformed)
	}
	return js, nil
}

func (p *Package) checkSignature() error {
	x := &p.index
	pub := ed25519.PublicKey(x.PublicKey[:])
	var sigErr error
	switch {
	case x.Signature == [64]byte{}:
		sigErr = fmt.Errorf("verifying signature of %s: the signature field is empty: %w", p.name, ErrUnsigned)
	case !ed25519.Verify(pub, p.meta.JSON(), x.Signature[:]):
		sigErr = fmt.Errorf("verifying signature of %s: Ed25519 signature does not verify with the package key %s: %w",
			p.name, hex.EncodeToString(pub), ErrBadSignature)
	}
	if p.runs(checkSignature) {
		if err := p.outcome(checkSignature, "signature", sigErr); err != nil {
			return err
		}
	}
	if !p.trustSet || !p.runs(checkTrust) {
		return nil
	}
	if sigErr != nil {
		// An unverified signature proves nothing about the signer.
		return p.outcome(checkTrust, "trust", fmt.Errorf("checking trust of %s: %w: %w", p.name, ErrUntrusted, sigErr))
	}
	for _, k := range p.trusted {
		if k.Equal(pub) {
			return nil
		}
	}
	return p.outcome(checkTrust, "trust", fmt.Errorf("checking trust of %s: signer %s is not among the %d trusted keys: %w",
		p.name, hex.EncodeToString(pub), len(p.trusted), ErrUntrusted))
}
