package launcher

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/flavor-dev/flavor/packer"
)

// ensureTree makes sure the workenv holds what the command needs. On a warm start (tree complete,
// no fresh-each-run slot, every named lazy slot present) it costs one small file read and takes no
// lock. Otherwise it takes the workenv's lock and, if the tree is still not complete (another
// process may have finished it meanwhile), extracts it; then it re-extracts fresh-each-run slots
// and adds missing lazy ones.
func (l *launch) ensureTree(ctx context.Context, cmd *command) error {
	done := l.o.phase("check")
	if l.warm() {
		done("warm")
		return nil
	}
	done("cold")
	fresh := l.freshSlots()

	done = l.o.phase("lock")
	unlock, err := l.lockTree()
	if err != nil {
		return err
	}
	defer unlock()
	done("")

	if l.lay.treeMissing() {
		l.warnReextract("was removed but not its completion marker")
		return l.extractTree(ctx, cmd)
	}
	if l.cfg.fresh || !l.lay.complete() {
		return l.extractTree(ctx, cmd)
	}
	if l.cfg.level >= packer.LevelStrict {
		if change := l.lay.treeChange(); change != "" {
			l.warnReextract("differs from what was extracted (" + change + ")")
			return l.extractTree(ctx, cmd)
		}
	}
	done = l.o.phase("refresh")
	changed := len(fresh) > 0
	for _, s := range fresh {
		if err := l.overlay(ctx, s); err != nil {
			return err
		}
	}
	for _, s := range l.plan.slots {
		if l.lazy[s.pos] && !exists(l.lay.slotMarker(s.pos)) {
			if err := l.overlay(ctx, s); err != nil {
				return err
			}
			if err := writeMarker(l.lay.slotMarker(s.pos), l.lay.digest+"\n"); err != nil {
				return l.ioError("marking a lazy slot", err)
			}
			changed = true
		}
	}
	if changed {
		if err := l.lay.recordTree(l.ownDirs()); err != nil {
			return l.ioError("recording the workenv's files", err)
		}
	}
	done(strconv.Itoa(len(fresh)) + " fresh")
	return nil
}

// warnReextract says why a complete workenv is extracted again, and how to avoid or force it.
func (l *launch) warnReextract(why string) {
	l.o.emit(Event{Kind: EventWarning, Phase: "check", Message: "the workenv " + l.lay.workenv + " " + why +
		"; extracting it again (flavor clean removes a workenv with its marker; " + EnvWorkenvCache + "=0 extracts afresh on every run)"})
}

// repair is called when the command (or its loader) is missing from a tree believed complete: if
// the tree differs from its record (or has none), it is extracted again and repair reports true.
// A package whose command was never in it keeps failing as before.
func (l *launch) repair(ctx context.Context, cmd *command) (bool, error) {
	change := l.lay.treeChange()
	if change == "" || !l.lay.complete() {
		return false, nil
	}
	// The warm path never opened the package; the cold path has closed it.
	if err := l.open(ctx); err != nil {
		return false, err
	}
	defer l.pkg.Close()
	unlock, err := l.lockTree()
	if err != nil {
		return false, err
	}
	defer unlock()
	// Another run may have repaired it while this one waited for the lock.
	if change = l.lay.treeChange(); change == "" {
		return true, nil
	}
	l.warnReextract("differs from what was extracted (" + change + ")")
	return true, l.extractTree(ctx, cmd)
}

// lockTree creates and checks the workenv's state directories, takes its lock and removes what
// dead extractors left.
func (l *launch) lockTree() (func() error, error) {
	if err := os.MkdirAll(l.lay.side, 0o700); err != nil {
		return nil, l.ioError("creating the cache directory", err)
	}
	if err := l.lay.checkState(); err != nil {
		return nil, fail(CategoryIO, "checking the cache of "+l.name, err,
			"remove it (flavor clean cleans the cache) or set "+EnvCache+" to a directory of your own")
	}
	unlock, err := lockFile(l.lay.lockPath())
	if err != nil {
		return nil, l.ioError("locking the workenv", err)
	}
	if err := l.lay.cleanStale(); err != nil {
		unlock()
		return nil, l.ioError("cleaning the workenv", err)
	}
	return unlock, nil
}

// ownDirs are the workenv.directories the package declares for its own writes, which the tree
// record leaves out.
func (l *launch) ownDirs() []string {
	var out []string
	for _, d := range l.plan.dirs {
		if p, err := l.ph.expand(d.Path); err == nil {
			if !filepath.IsAbs(p) {
				p = filepath.Join(l.lay.workenv, p)
			}
			out = append(out, filepath.Clean(p))
		}
	}
	return out
}

// warm reports whether the tree can be used as it is: complete for this metadata, no slot to
// extract afresh on every run, every lazy slot the placeholders name present, no forced
// re-extraction, and at strict level every file as extraction left it (see treecheck.go).
func (l *launch) warm() bool {
	return !l.cfg.fresh && len(l.freshSlots()) == 0 && l.lay.stateDirsOK() && l.lay.complete() && l.lazyPresent() &&
		(l.cfg.level < packer.LevelStrict || l.lay.treeChange() == "")
}

func (l *launch) freshSlots() []slotPlan {
	var fresh []slotPlan
	for _, s := range l.plan.slots {
		if s.here && s.class == classFresh {
			fresh = append(fresh, s)
		}
	}
	return fresh
}

// lazyPresent reports whether every lazy slot the placeholders name has been extracted.
func (l *launch) lazyPresent() bool {
	for pos := range l.lazy {
		if !exists(l.lay.slotMarker(pos)) {
			return false
		}
	}
	return true
}

// extractTree extracts the whole workenv into a private staging directory, renames it into place,
// creates the workenv directories, runs the setup commands, removes init slots, and writes the
// completion marker last. Until that marker exists, no run trusts the tree.
func (l *launch) extractTree(ctx context.Context, cmd *command) error {
	if err := l.lay.invalidate(); err != nil {
		return l.ioError("invalidating the old workenv", err)
	}
	// Setup commands may name lazy slots too: those are needed now.
	for _, c := range l.plan.setup {
		for _, s := range []string{c.Command, c.Path, c.Content} {
			if _, err := l.ph.expand(s); err != nil {
				return fail(CategoryOther, "preparing the setup commands of "+l.name, err, "the package's metadata is wrong; report it to its publisher")
			}
		}
	}
	done := l.o.phase("extract")
	st, err := l.lay.stage()
	if err != nil {
		return l.ioError("creating a staging directory", err)
	}
	defer os.RemoveAll(st) // gone after install; removes a failed attempt
	n := 0
	for _, s := range l.plan.slots {
		if !s.here || s.class == classInit || (s.class == classLazy && !l.lazy[s.pos]) {
			continue
		}
		if err := l.extractSlot(ctx, s, st); err != nil {
			return err
		}
		n++
	}
	var inits []placed
	for _, s := range l.plan.slots {
		if !s.here || s.class != classInit {
			continue
		}
		ps, err := l.extractMerged(ctx, s, st)
		if err != nil {
			return err
		}
		inits = append(inits, ps...)
		n++
	}
	if err := l.lay.install(st); err != nil {
		return l.ioError("moving the extracted workenv into place", err)
	}
	done(strconv.Itoa(n) + " slots")

	if err := l.makeDirs(); err != nil {
		return err
	}
	if len(l.plan.setup) > 0 {
		done = l.o.phase("setup")
		r := &setupRunner{ph: l.ph, env: cmd.env, dir: l.lay.workenv, pathEnv: cmd.path, pathExt: cmd.pathExt, stderr: l.o.stdio[2]}
		if err := runSetup(r, l.plan.setup); err != nil {
			return fail(CategoryOther, "setting up the workenv of "+l.name, err,
				"the package's setup failed; fix what it reports, the next run tries again")
		}
		done(strconv.Itoa(len(l.plan.setup)) + " commands")
	}
	if err := unplace(l.lay.workenv, inits); err != nil {
		return l.ioError("removing init slots", err)
	}
	for pos := range l.lazy {
		if err := writeMarker(l.lay.slotMarker(pos), l.lay.digest+"\n"); err != nil {
			return l.ioError("marking a lazy slot", err)
		}
	}
	if err := l.lay.recordTree(l.ownDirs()); err != nil {
		return l.ioError("recording the workenv's files", err)
	}
	if err := l.lay.markComplete(); err != nil {
		return l.ioError("marking the workenv complete", err)
	}
	return nil
}

// extractSlot extracts one slot into dir, always a private staging directory that is removed
// when anything fails, with packer's safe extraction: every entry is checked before it is
// written, and the slot's bytes are checked against the signed metadata in the same single pass
// (packer.WithStagingDest), so a damaged slot fails the launch and leaves nothing behind.
func (l *launch) extractSlot(ctx context.Context, s slotPlan, dir string) error {
	if _, err := l.pkg.ExtractSlot(ctx, s.pos, dir, packer.WithStagingDest(true)); err != nil {
		return l.slotError(fmt.Sprintf("extracting slot %d (%s) of %s", s.num, s.id, l.name), err)
	}
	return nil
}

// slotError is packageError for a failure while extracting a slot: one no sentinel explains (a
// truncated tar entry, a decoder error) is a slot failure too (103). When the slot's bytes were
// checked against the signed metadata, the packager made them so; below that level, nothing
// tells damage from a package built that way.
func (l *launch) slotError(op string, err error) *Error {
	e := packageError(op, err)
	if e.Category != CategoryOther {
		return e
	}
	e.Category, e.Fix = CategorySlot, fixBuilt
	if l.cfg.level < packer.LevelRelaxed {
		e.Fix = EnvValidation + "=" + l.cfg.level.String() + " did not check the slot's bytes; run at standard to tell damage from a package built this way"
	}
	return e
}

// extractMerged extracts one slot into its own staging directory and merges it into dir,
// returning what it placed.
func (l *launch) extractMerged(ctx context.Context, s slotPlan, dir string) ([]placed, error) {
	sub, err := l.lay.stage()
	if err != nil {
		return nil, l.ioError("creating a staging directory", err)
	}
	defer os.RemoveAll(sub)
	if err := l.extractSlot(ctx, s, sub); err != nil {
		return nil, err
	}
	ps, err := merge(sub, dir)
	if err != nil {
		return nil, l.slotError(fmt.Sprintf("placing slot %d (%s) of %s", s.num, s.id, l.name), err)
	}
	return ps, nil
}

// overlay extracts one slot again into the live workenv: into a staging directory first, then
// renamed over the old files, so a process running from the tree never sees a half-written file.
func (l *launch) overlay(ctx context.Context, s slotPlan) error {
	_, err := l.extractMerged(ctx, s, l.lay.workenv)
	return err
}

// makeDirs creates workenv.directories with their modes (0700 when none is given).
func (l *launch) makeDirs() error {
	for _, d := range l.plan.dirs {
		p, err := l.ph.expand(d.Path)
		if err != nil {
			return fail(CategoryOther, "preparing the workenv directories of "+l.name, err, "")
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(l.lay.workenv, p)
		}
		mode := fs.FileMode(d.Mode).Perm()
		if mode == 0 {
			mode = 0o700
		}
		if err := os.MkdirAll(p, mode); err != nil {
			return l.ioError("creating workenv directory "+d.Path, err)
		}
		if runtime.GOOS != "windows" {
			if err := os.Chmod(p, mode); err != nil {
				return l.ioError("creating workenv directory "+d.Path, err)
			}
		}
	}
	return nil
}

func (l *launch) ioError(op string, err error) *Error {
	var le *Error
	if errors.As(err, &le) {
		return le
	}
	return fail(CategoryIO, op+" of "+l.name, err,
		"check that "+filepath.Dir(l.lay.workenv)+" is writable and has free space, or set "+EnvCache)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
