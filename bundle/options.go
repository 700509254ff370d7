package bundle

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/progress"
)

// Option configures Pack.
type Option func(*options) error

type options struct {
	launchers   LauncherSource
	signer      crypto.Signer
	outDir      string
	outFile     string
	platforms   []string
	epoch       *time.Time
	logger      *slog.Logger
	progress    progress.Func
	install     SlotSource
	extra       []SlotSource
	toolVersion string
	check       packer.Level
	concurrency int
	sinks       []Sink
	noSBOM      bool
	build       BuildInfo
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{
		launchers:   Embedded(),
		logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		progress:    func(progress.Event) {},
		toolVersion: "dev",
		check:       packer.LevelStandard,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithLauncher takes launcher executables from src instead of the ones embedded in this binary
// (Embedded).
func WithLauncher(src LauncherSource) Option {
	return func(o *options) error {
		if src == nil {
			return errors.New("WithLauncher: nil source")
		}
		o.launchers = src
		return nil
	}
}

// WithSigner signs every package with s, whose Public() must be an ed25519.PublicKey (a Key's
// Private from ChooseKey, or a KMS/HSM signer). Pack refuses to run without one.
func WithSigner(s crypto.Signer) Option {
	return func(o *options) error {
		if s == nil {
			return errors.New("WithSigner: nil signer")
		}
		if _, ok := s.Public().(ed25519.PublicKey); !ok {
			return fmt.Errorf("WithSigner: %T is not an Ed25519 signer: %w", s, ErrKey)
		}
		o.signer = s
		return nil
	}
}

// WithOutputDir writes the packages into dir as <name>-<version>-<os>-<arch>.psp (default: the
// "dist" folder beside the manifest). The directory is created when missing.
func WithOutputDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("WithOutputDir: empty directory")
		}
		o.outDir, o.outFile = dir, ""
		return nil
	}
}

// WithOutputFile writes the one package to path. Pack fails with ErrOutput when there is more
// than one platform to pack.
func WithOutputFile(path string) Option {
	return func(o *options) error {
		if path == "" {
			return errors.New("WithOutputFile: empty path")
		}
		o.outFile, o.outDir = path, ""
		return nil
	}
}

// WithPlatforms packs only these platforms ("linux/amd64", Flox names such as "x86_64-linux",
// or FlavorPack's "linux_amd64"). When the manifest lists options.systems, each must be one of
// them; otherwise they choose the platforms. Several calls add up.
func WithPlatforms(platforms ...string) Option {
	return func(o *options) error {
		for _, p := range platforms {
			n, err := NormalizePlatform(p)
			if err != nil {
				return err
			}
			o.platforms = append(o.platforms, n)
		}
		return nil
	}
}

// WithSourceDateEpoch sets the build time: tar mtimes are clamped to it and the metadata
// timestamp is it. Without it mtimes are 0
// and there is no timestamp.
func WithSourceDateEpoch(t time.Time) Option {
	return func(o *options) error {
		t := t.UTC()
		o.epoch = &t
		return nil
	}
}

// WithLogger sends debug logging to l (discarded by default).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithProgress calls fn with progress updates. fn runs on Pack's goroutine and must not block
// for long.
func WithProgress(fn progress.Func) Option {
	return func(o *options) error {
		if fn == nil {
			return errors.New("WithProgress: nil function")
		}
		o.progress = fn
		return nil
	}
}

// WithInstall makes src the builder of the manifest's [install] entries: its slots come first in
// every package. Without it, a manifest with [install] entries fails with ErrInstallNeedsBuild.
func WithInstall(src SlotSource) Option {
	return func(o *options) error {
		if src == nil {
			return errors.New("WithInstall: nil source")
		}
		o.install = src
		return nil
	}
}

// WithSlotSource adds the slots of src to every package, after the [install] slots and before
// the manifest's [[slots]]. Several calls add up, in order.
func WithSlotSource(src SlotSource) Option {
	return func(o *options) error {
		if src == nil {
			return errors.New("WithSlotSource: nil source")
		}
		o.extra = append(o.extra, src)
		return nil
	}
}

// WithToolVersion records the flavor version in the metadata (build.tool_version and the
// provenance). Default "dev".
func WithToolVersion(v string) Option {
	return func(o *options) error {
		o.toolVersion = v
		return nil
	}
}

// WithCheckLevel sets how each written package is checked before Pack reports it: LevelNone
// checks nothing, the levels up to LevelStandard open it as the launcher does (trailer, index,
// metadata, signature, slot table), and LevelStrict also hashes every slot and the launcher and
// checks the layout. A package that fails is removed. Default LevelStandard.
func WithCheckLevel(l packer.Level) Option {
	return func(o *options) error {
		if l < packer.LevelNone || l > packer.LevelStrict {
			return fmt.Errorf("WithCheckLevel: unknown level %d", l)
		}
		o.check = l
		return nil
	}
}

// WithConcurrency caps the goroutines a compressor uses (default GOMAXPROCS). The output does
// not depend on it.
func WithConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("WithConcurrency: %d goroutines", n)
		}
		o.concurrency = n
		return nil
	}
}

// The stages Pack reports through WithProgress, in [progress.Event]s with the platform and the
// package file's Path, in the order they happen for each platform; the slot stages are
// packer's, with the slot's id and index.
const (
	StagePackage  progress.Stage = "package"            // starting the package of Platform at Path
	StageSlot                    = packer.StageSlot     // encoding a slot; Done counts input bytes so far
	StageSlotDone                = packer.StageSlotDone // a slot is encoded; Done is its stored size
	StageAssemble                = packer.StageAssemble // writing the package file
	StageCheck    progress.Stage = "check"              // checking the written package
	StageDone     progress.Stage = "done"               // the package is in place; Done is its size
)
