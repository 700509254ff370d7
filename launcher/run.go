package launcher

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/flavor-dev/flavor/packer"
)

// Run launches the package the launcher is the front of (or WithPackage): it opens and verifies
// it at the level FLAVOR_VALIDATION asks for, makes sure its workenv is extracted, builds the
// command and its environment, and runs it.
//
// In exec mode (the default on Unix) a successful Run does not return: the command replaces the
// launcher. In spawn mode (FLAVOR_EXEC_MODE=spawn, and always on Windows) it returns the
// command's exit status (128+N when signal N killed it). Any failure before the command starts is
// returned as an *Error, whose Category gives the exit code, and the command never runs.
func Run(ctx context.Context, opts ...Option) (int, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return 0, fail(CategoryUsage, "configuring the launcher", err, "")
	}
	env := newEnviron(o.env, runtime.GOOS == "windows")
	cfg, err := readConfig(env)
	if err != nil {
		return 0, err
	}
	if o.pkg == "" {
		if o.pkg, err = os.Executable(); err != nil {
			return 0, fail(CategoryIO, "finding the launcher's own executable", err, "run the package by its path")
		}
	}
	if o.pkg, err = filepath.Abs(o.pkg); err != nil {
		return 0, fail(CategoryIO, "finding the package", err, "")
	}
	l := &launch{o: o, cfg: cfg, env: env, name: filepath.Base(o.pkg)}
	return l.run(ctx)
}

// launch is one run of one package.
type launch struct {
	o    *options
	cfg  *config
	env  *environ
	name string // the package file's base name, for messages

	pkg  *packer.Package
	plan *plan
	lay  layout
	ph   *placeholders
	lazy map[int]bool // positions of lazy slots that placeholders name

	key     [32]byte // names the launch record (see record.go)
	haveKey bool
}

func (l *launch) run(ctx context.Context) (int, error) {
	var cmd *command
	done := l.o.phase("record")
	fast := l.tryFast()
	if fast {
		var err error
		// Anything unusual (a lazy slot to extract, a fresh-each-run slot, an incomplete tree, a
		// placeholder error) goes down the full path, which handles and reports it.
		if cmd, err = l.prepare(); err != nil || !l.warm() {
			fast = false
		}
	}
	if fast {
		done("hit")
	} else {
		done("miss")
		if err := l.open(ctx); err != nil {
			return 0, err
		}
		defer l.pkg.Close()
		done = l.o.phase("prepare")
		var err error
		if cmd, err = l.prepare(); err != nil {
			return 0, err
		}
		done("")
		if err := l.ensureTree(ctx, cmd); err != nil {
			return 0, err
		}
		l.remember()
		l.pkg.Close()
	}

	done = l.o.phase("resolve")
	path, err := lookPath(cmd.argv[0], cmd.path, cmd.pathExt)
	if err != nil || (cmd.loader != "" && !exists(cmd.loader)) || cmd.missingInWorkenv(l.lay.workenv) {
		// A tree believed complete that lacks its command (or its loader, or a file its command
		// line names) was changed after extraction, or the package never had it: the tree record
		// tells which.
		if again, rerr := l.repair(ctx, cmd); rerr != nil {
			return 0, rerr
		} else if again {
			path, err = lookPath(cmd.argv[0], cmd.path, cmd.pathExt)
		}
	}
	if err != nil {
		return 0, fail(CategoryIO, fmt.Sprintf("finding the command of %s", l.name), err,
			"the package's command must be an absolute path in the workenv or a program on its PATH")
	}
	done(path)
	argv := cmd.argv
	if cmd.loader != "" {
		path, argv = cmd.throughLoader(path)
	}

	if !l.cfg.spawn {
		l.o.emit(Event{Kind: EventPhase, Phase: "exec", Message: path})
		if cmd.dir != "" {
			if err := os.Chdir(cmd.dir); err != nil {
				return 0, fail(CategoryIO, "entering the command's working directory", err, "")
			}
		}
		err := execProgram(path, argv, cmd.env)
		return 0, fail(CategoryIO, fmt.Sprintf("executing %s", path), err, "")
	}
	l.o.emit(Event{Kind: EventPhase, Phase: "spawn", Message: path})
	code, err := spawn(spawnSpec{path: path, argv: argv, env: cmd.env, dir: cmd.dir, stdio: l.o.stdio, shutdown: l.plan.shutdown})
	if err != nil {
		return 0, fail(CategoryIO, fmt.Sprintf("running %s", path), err, "")
	}
	return code, nil
}

// open opens the package and checks its header at the configured level: trailer, index, metadata
// and signature, never slot bytes.
func (l *launch) open(ctx context.Context) error {
	done := l.o.phase("open")
	opts := append([]packer.Option{packer.WithLevel(l.cfg.level)}, l.o.packer...)
	if l.cfg.trustSet {
		opts = append(opts, packer.WithTrustedKeys(l.cfg.trusted...))
	}
	pkg, err := packer.Open(ctx, l.o.pkg, opts...)
	if err != nil {
		return packageError("verifying "+l.name, err)
	}
	for _, w := range pkg.Warnings() {
		l.o.emit(Event{Kind: EventWarning, Phase: "open", Message: fmt.Sprintf("%s (FLAVOR_VALIDATION=%s lets this pass)", w.Err, l.cfg.level)})
	}
	l.pkg = pkg
	m := pkg.Metadata()
	l.plan = newPlan(m, pkg.NumSlots())
	l.lay = newLayout(l.cfg.cache, l.plan.name, sha256.Sum256(m.JSON()))
	done(l.cfg.level.String())
	return nil
}

// The advice of a failure depends on who caused it: bytes changed after signing are damage (a
// fresh copy helps), while content the signature covers was made that way by the packager (a
// fresh copy would be the same).
const (
	fixDamaged = "the package was changed or damaged after it was signed; get a fresh copy from its publisher"
	fixBuilt   = "the package was built this way (its signature covers it); report it to its publisher"
)

// packageError turns an error of packer into an *Error with the category its sentinel implies.
func packageError(op string, err error) *Error {
	switch {
	case errors.Is(err, packer.ErrBadMagic), errors.Is(err, packer.ErrBadVersion), errors.Is(err, packer.ErrMalformed):
		return fail(CategoryFormat, op, err, "this file is not a complete PSPF/2025 package; download or build it again")
	case errors.Is(err, packer.ErrUntrusted):
		return fail(CategoryOther, op, err, "run only packages signed by a key in "+EnvTrustedKeys+", or add the signer's key there")
	case errors.Is(err, packer.ErrSlotChecksum), errors.Is(err, packer.ErrSlotTable):
		return fail(CategorySlot, op, err, fixDamaged)
	case errors.Is(err, packer.ErrUnsafeEntry), errors.Is(err, ErrHostileEntry), errors.Is(err, packer.ErrSlotSize),
		errors.Is(err, packer.ErrUnsupportedOperation):
		return fail(CategorySlot, op, err, fixBuilt)
	case errors.Is(err, packer.ErrBadSignature), errors.Is(err, packer.ErrUnsigned), errors.Is(err, packer.ErrIndexChecksum),
		errors.Is(err, packer.ErrPackageSize), errors.Is(err, packer.ErrMetadataChecksum),
		errors.Is(err, packer.ErrLauncherChecksum), errors.Is(err, packer.ErrLayout):
		return fail(CategoryOther, op, err, fixDamaged)
	}
	var pe *os.PathError
	var le *os.LinkError
	if errors.As(err, &pe) || errors.As(err, &le) {
		return fail(CategoryIO, op, err, "check that the package is readable and the cache directory writable (or set "+EnvCache+")")
	}
	return fail(CategoryOther, op, err, "")
}
