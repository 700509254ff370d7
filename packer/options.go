package packer

import (
	"crypto"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/flavor-dev/flavor/progress"
)

// Option configures Write, Open, Verify and extraction. One type serves them all so a caller
// (the CLI) can turn its flags into one []Option; an option that does not apply to an operation
// is ignored by it.
type Option func(*options) error

type options struct {
	logger      *slog.Logger // Write's debug lines; discards by default
	warned      func(pkg, check string, err error)
	progress    progress.Func
	signer      crypto.Signer
	level       Level
	trusted     []ed25519.PublicKey
	trustSet    bool
	name        string
	concurrency int
	epoch       *time.Time
	chown       bool
	setid       bool
	staging     bool
	noSlotRule  bool
	tap         func(TapSlot) io.WriteCloser
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{
		logger:      slog.New(slog.DiscardHandler),
		level:       LevelStandard,
		concurrency: runtime.GOMAXPROCS(0),
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.trustSet && o.level < LevelRelaxed {
		return nil, fmt.Errorf("trusted keys need level relaxed or above: level %s does not check the signature they pin: %w", o.level, ErrInvalidInput)
	}
	return o, nil
}

// WithLogger sends debug logging, and the warnings of checks the level lets through, to l
// (discarded by default).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l != nil {
			o.logger = l
			// Readers log only through this function, which nothing but WithLogger sets: a
			// program that never sets a logger (the launcher) then links none of slog's handlers,
			// a third of a megabyte of its executable.
			o.warned = func(pkg, check string, err error) {
				l.Warn("verification warning", "package", pkg, "check", check, "err", err)
			}
		}
		return nil
	}
}

// WithProgress calls fn with progress updates while writing or extracting. fn runs on the
// calling goroutine and must not block for long.
func WithProgress(fn progress.Func) Option {
	return func(o *options) error { o.progress = fn; return nil }
}

// WithSigner signs written packages with s, whose Public() must be an ed25519.PublicKey (an
// ed25519.PrivateKey from KeyFromSeed, GenerateKey or keys.LoadSigningKey, or a KMS/HSM signer).
func WithSigner(s crypto.Signer) Option {
	return func(o *options) error {
		if s == nil {
			return fmt.Errorf("signer is nil: %w", ErrInvalidInput)
		}
		if _, ok := s.Public().(ed25519.PublicKey); !ok {
			return fmt.Errorf("signer's public key is %T, want ed25519.PublicKey: %w", s.Public(), ErrInvalidInput)
		}
		o.signer = s
		return nil
	}
}

// WithLevel sets the verification level of Open, Verify and extraction (default LevelStandard).
func WithLevel(l Level) Option {
	return func(o *options) error {
		if l < LevelNone || l > LevelStrict {
			return fmt.Errorf("verification level %d out of range: %w", l, ErrInvalidInput)
		}
		o.level = l
		return nil
	}
}

// WithTrustedKeys makes Open and Verify refuse (ErrUntrusted) a package signed by any key not in
// keys. Several calls add up. With no keys given the option still turns trust checking on, so
// every package is refused: an empty trust list never means "trust anything". A pin is honoured
// at every level or not at all: with a level below LevelRelaxed, which does not check the
// signature, the options are refused (ErrInvalidInput).
func WithTrustedKeys(keys ...ed25519.PublicKey) Option {
	return func(o *options) error {
		for _, k := range keys {
			if len(k) != ed25519.PublicKeySize {
				return fmt.Errorf("trusted key has %d bytes, want %d: %w", len(k), ed25519.PublicKeySize, ErrInvalidInput)
			}
		}
		o.trusted = append(o.trusted, keys...)
		o.trustSet = true
		return nil
	}
}

// WithName sets the name used in error messages when opening from an io.ReaderAt.
func WithName(name string) Option {
	return func(o *options) error { o.name = name; return nil }
}

// WithConcurrency caps the goroutines a compressor uses (default GOMAXPROCS).
func WithConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("concurrency %d, want at least 1: %w", n, ErrInvalidInput)
		}
		o.concurrency = n
		return nil
	}
}

// WithSourceDateEpoch sets the build time: tar mtimes are clamped to it and the metadata
// timestamp is it. Without it, mtimes become 0 and the metadata has no timestamp. (flavor reads
// SOURCE_DATE_EPOCH in cmd/flavor and passes it here; this package reads no environment.)
func WithSourceDateEpoch(t time.Time) Option {
	return func(o *options) error { u := t.UTC().Truncate(time.Second); o.epoch = &u; return nil }
}

// WithChown makes extraction set owners from tar headers (numeric uid/gid). Off by default.
func WithChown(on bool) Option {
	return func(o *options) error { o.chown = on; return nil }
}

// WithSetuid makes extraction keep the setuid and setgid bits of tar entries and single-file
// slots. Off by default: they are stripped (as tar does for a user other than root), so
// extracting a package never creates a set-id program by itself.
func WithSetuid(on bool) Option {
	return func(o *options) error { o.setid = on; return nil }
}

// WithStagingDest declares that extraction writes into a private staging directory which the
// caller removes when extraction fails, as the launcher does. Each slot is then read once: its
// stored bytes are hashed while they are decoded and written, every entry is still checked before
// it is written (nothing lands outside the destination), and a checksum mismatch found at the end
// fails the extraction, leaving the caller to discard what was written. Without it (the default,
// right for a destination nobody discards), a slot is verified before anything is written, and
// so read two more times: once to hash it, once to check every entry.
func WithStagingDest(on bool) Option {
	return func(o *options) error { o.staging = on; return nil }
}

// WithoutSlotRule makes Write copy tar slots as given, without the slot rule (see Slot.TreeRoot):
// absolute links stay absolute, and entries the launcher refuses are written. It exists to make
// the packages a foreign or hostile writer could make, for tests of the readers; a package written
// with it may fail every later check.
func WithoutSlotRule() Option {
	return func(o *options) error { o.noSlotRule = true; return nil }
}

// sourceDateEpoch returns the configured epoch, or nil.
func (o *options) sourceDateEpoch() (*time.Time, error) { return o.epoch, nil }

// The stages Write and extraction report through WithProgress, in [progress.Event]s with the
// slot's id and index for the slot stages.
const (
	StageSlot     progress.Stage = "slot"      // encoding a slot; Done counts input bytes
	StageSlotDone progress.Stage = "slot-done" // a slot is encoded; Done is its stored size
	StageAssemble progress.Stage = "assemble"  // writing the package file
	StageDone     progress.Stage = "done"      // the package file is in place
	StageExtract  progress.Stage = "extract"   // extracting a slot; Done counts decoded bytes
)

func (o *options) report(u progress.Event) {
	if o.progress != nil {
		o.progress(u)
	}
}

// progressWriter counts bytes and reports every step bytes.
type progressWriter struct {
	o     *options
	u     progress.Event
	next  int64
	w     io.Writer
	total int64
}

const progressStep = 8 << 20

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.add(n)
	return n, err
}

func (p *progressWriter) add(n int) {
	p.total += int64(n)
	if p.o.progress != nil && p.total >= p.next {
		p.u.Done = p.total
		p.o.report(p.u)
		p.next = p.total + progressStep
	}
}

// ReadFrom passes r to the writer's own ReadFrom when it has one, counting as it reads.
func (p *progressWriter) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := p.w.(io.ReaderFrom)
	if !ok {
		return io.Copy(struct{ io.Writer }{p}, r)
	}
	return rf.ReadFrom(readCounter{r, p})
}

type readCounter struct {
	r io.Reader
	p *progressWriter
}

func (c readCounter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.add(n)
	return n, err
}

// TapSlot says which slot a tap (WithSlotTap) receives.
type TapSlot struct {
	Index  int
	ID     string
	Target string
	Tar    bool // the stream is a tar stream (else the single file's bytes)
}

// WithSlotTap gives Write a tap: for each slot, fn returns a writer that receives the slot's
// input stream as it is encoded (the tar stream after the slot rule, or the file's bytes), or
// nil for none. Write closes it once the slot's input is read, while the encoder finishes the
// slot, and fails when Close fails; after a failed encoding it is closed too and its error
// ignored. An SBOM scanner is the typical tap.
func WithSlotTap(fn func(TapSlot) io.WriteCloser) Option {
	return func(o *options) error { o.tap = fn; return nil }
}
