package packer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// Stored returns a reader of slot i's stored (encoded) bytes.
func (p *Package) Stored(i int) (*io.SectionReader, error) {
	d, err := p.Descriptor(i)
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(p.r, int64(d.Offset), int64(d.Size)), nil
}

// slotName names slot i in messages: "slot 1 (settings) of multi.psp".
func (p *Package) slotName(i int) string {
	if info, ok := p.SlotInfo(i); ok {
		return fmt.Sprintf("slot %d (%s) of %s", i, info.ID, p.name)
	}
	return fmt.Sprintf("slot %d of %s", i, p.name)
}

// slotSums checks a slot's SHA-256 against the signed metadata and the descriptor, following the
// level policy.
func (p *Package) slotSums(i int, sum [32]byte) error {
	d := p.descs[i]
	if p.runs(checkSlotFull) {
		info, ok := p.SlotInfo(i)
		want, valid := info.SHA256()
		var err error
		switch {
		case !ok || !valid:
			err = fmt.Errorf("verifying %s: the signed metadata has no sha256 checksum for it: %w", p.slotName(i), ErrSlotChecksum)
		case want != sum:
			err = fmt.Errorf("verifying %s: SHA-256 of the stored bytes is %s, the signed metadata says %s: %w",
				p.slotName(i), hex.EncodeToString(sum[:]), hex.EncodeToString(want[:]), ErrSlotChecksum)
		}
		if err := p.outcome(checkSlotFull, "slot checksum", err); err != nil {
			return err
		}
	}
	if got := ChecksumPrefix(sum); got != d.Checksum {
		err := fmt.Errorf("verifying %s: checksum prefix is %016x, the descriptor says %016x: %w", p.slotName(i), got, d.Checksum, ErrSlotChecksum)
		return p.outcome(checkSlotPrefix, "slot descriptor checksum", err)
	}
	return nil
}

func (p *Package) verifiesSlots() bool { return p.runs(checkSlotFull) || p.runs(checkSlotPrefix) }

// VerifySlot hashes slot i's stored bytes and checks them at the package's level: the full
// SHA-256 against the signed metadata and the 64-bit descriptor checksum.
func (p *Package) VerifySlot(ctx context.Context, i int) error {
	sr, err := p.Stored(i)
	if err != nil {
		return err
	}
	if !p.verifiesSlots() {
		return nil
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(h, ctxReader{ctx, sr}, make([]byte, 1<<20)); err != nil {
		return fmt.Errorf("reading %s: %w", p.slotName(i), err)
	}
	return p.slotSums(i, [32]byte(h.Sum(nil)))
}

// VerifyLauncher checks the launcher prefix against the checksum pinned in the signed metadata,
// when the metadata has one (packages from this project do; FlavorPack's do not).
func (p *Package) VerifyLauncher(ctx context.Context) error {
	in := p.meta.Integrity
	if in == nil || !p.runs(checkTable) {
		return nil
	}
	n := p.index.LauncherSize
	if uint64(in.LauncherSize) != n {
		return p.outcome(checkTable, "launcher", fmt.Errorf("verifying launcher of %s: %d bytes, the signed metadata says %d: %w", p.name, n, in.LauncherSize, ErrLauncherChecksum))
	}
	want, ok := parseSHA256(in.LauncherSHA256)
	if !ok || n > p.body() {
		return p.outcome(checkTable, "launcher", fmt.Errorf("verifying launcher of %s: no usable checksum: %w", p.name, ErrLauncherChecksum))
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(h, ctxReader{ctx, io.NewSectionReader(p.r, 0, int64(n))}, make([]byte, 1<<20)); err != nil {
		return fmt.Errorf("reading launcher of %s: %w", p.name, err)
	}
	if [32]byte(h.Sum(nil)) != want {
		return p.outcome(checkTable, "launcher", fmt.Errorf("verifying launcher of %s: SHA-256 differs from the signed metadata: %w", p.name, ErrLauncherChecksum))
	}
	return nil
}

// VerifyContent checks every byte the header checks did not: the launcher, every slot, and at
// strict level the padding and gaps between regions.
func (p *Package) VerifyContent(ctx context.Context) error {
	if err := p.VerifyLauncher(ctx); err != nil {
		return err
	}
	for i := range p.descs {
		if err := p.VerifySlot(ctx, i); err != nil {
			return err
		}
	}
	return p.checkGaps()
}

// checkGaps (strict) requires every byte between regions to be zero.
func (p *Package) checkGaps() error {
	if !p.runs(checkLayout) {
		return nil
	}
	var pos uint64
	for _, r := range append(p.regions(), region{"trailer", p.body(), p.body()}) {
		if r.off > pos {
			gap := make([]byte, r.off-pos)
			if _, err := p.r.ReadAt(gap, int64(pos)); err != nil {
				return fmt.Errorf("reading %s: %w", p.name, err)
			}
			if !allZero(gap) {
				return p.outcome(checkLayout, "layout", fmt.Errorf("checking layout of %s: non-zero bytes in the %d-byte gap before the %s: %w", p.name, len(gap), r.what, ErrLayout))
			}
		}
		pos = max(pos, r.end)
	}
	return nil
}

// Report is the outcome of Verify.
type Report struct {
	Level     Level
	PublicKey []byte
	Slots     int
	Warnings  []Warning
}

// Verify opens the package at path and checks everything its level asks for (see Level), header
// and content, and then decodes every tar slot and checks its entries as extraction would (the
// slot rule; see CheckEntries). Options: WithLevel, WithTrustedKeys, WithLogger.
func Verify(ctx context.Context, path string, opts ...Option) (*Report, error) {
	p, err := Open(ctx, path, opts...)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	if err := p.VerifyContent(ctx); err != nil {
		return nil, err
	}
	for i := range p.descs {
		if err := p.CheckEntries(ctx, i); err != nil {
			return nil, err
		}
	}
	return &Report{Level: p.level, PublicKey: p.PublicKey(), Slots: p.NumSlots(), Warnings: p.Warnings()}, nil
}

// OpenSlot returns a reader of slot i's decoded content (the tar stream for a tar slot): the
// stored bytes through the inverse operations, last first. At levels that check slots, the stored
// bytes are hashed as they are read; when the decoded stream ends, the rest of the stored bytes
// are hashed too and a mismatch is returned instead of io.EOF. So a caller that reads to EOF has
// verified the slot; data read before that point is not yet verified.
func (p *Package) OpenSlot(ctx context.Context, i int) (io.ReadCloser, error) {
	return p.openSlot(ctx, i, p.verifiesSlots())
}

// openSlot is OpenSlot with hashing chosen by the caller.
func (p *Package) openSlot(ctx context.Context, i int, verify bool) (io.ReadCloser, error) {
	sr, err := p.Stored(i)
	if err != nil {
		return nil, err
	}
	var src io.Reader = ctxReader{ctx, sr}
	var ha *hashAside
	if verify {
		ha = newHashAside(src, sha256.New())
		src = ha
	}
	dec, err := p.decodeSlot(i, src)
	if err != nil {
		if ha != nil {
			defer ha.Close()
			if _, derr := io.Copy(io.Discard, src); derr == nil {
				if verr := p.slotSums(i, ha.Sum()); verr != nil {
					return nil, verr
				}
			}
		}
		return nil, fmt.Errorf("opening %s: %w", p.slotName(i), err)
	}
	return &slotReader{p: p, i: i, dec: dec, src: src, ha: ha}, nil
}

type slotReader struct {
	p    *Package
	i    int
	dec  io.ReadCloser
	src  io.Reader
	ha   *hashAside // nil when not verifying
	done bool
	err  error
	// closed is set once dec is closed: a decoder may read src from its own goroutine (zstd
	// does), so dec is closed before the rest of src is drained for the hash.
	closed bool
	cerr   error
}

func (s *slotReader) closeDec() error {
	if !s.closed {
		s.closed = true
		s.cerr = s.dec.Close()
	}
	return s.cerr
}

func (s *slotReader) Read(b []byte) (int, error) {
	if s.done {
		return 0, s.err
	}
	n, err := s.dec.Read(b)
	if err == io.EOF {
		s.done, s.err = true, io.EOF
		if s.ha != nil {
			// Hash what the decoder did not consume, then check the whole.
			s.closeDec()
			if _, derr := io.Copy(io.Discard, s.src); derr != nil {
				s.err = fmt.Errorf("reading %s: %w", s.p.slotName(s.i), derr)
			} else if verr := s.p.slotSums(s.i, s.ha.Sum()); verr != nil {
				s.err = verr
			}
		}
		return n, s.err
	}
	if err != nil {
		s.done = true
		s.err = fmt.Errorf("decoding %s: %w", s.p.slotName(s.i), err)
		if s.ha != nil {
			// Corrupt data usually breaks the decoder first; report a checksum mismatch if that
			// is the cause.
			s.closeDec()
			if _, derr := io.Copy(io.Discard, s.src); derr == nil {
				if verr := s.p.slotSums(s.i, s.ha.Sum()); verr != nil {
					s.err = verr
				}
			}
		}
		return n, s.err
	}
	return n, nil
}

// Close closes the decoder and stops the hasher.
func (s *slotReader) Close() error {
	err := s.closeDec()
	if s.ha != nil {
		s.ha.Close()
	}
	return err
}

// ReadSlot returns slot i's decoded content in memory (verified like OpenSlot, read to the end).
func (p *Package) ReadSlot(ctx context.Context, i int) ([]byte, error) {
	rc, err := p.OpenSlot(ctx, i)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, rc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
