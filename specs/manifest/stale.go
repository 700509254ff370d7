package manifest

import (
	"errors"
	"fmt"
	"strings"
)

// ErrStaleLock is wrapped by the error VerifyLock returns when an entry must be resolved again.
var ErrStaleLock = errors.New("stale lock")

// ErrNoLock is wrapped by the error VerifyLock returns when there is no lock at all.
var ErrNoLock = errors.New("no lock")

// SpecRef names the spec a locked entry resolved to, on one system (templates may differ per
// platform).
type SpecRef struct {
	Package string // "category/name"
	Version string
	System  string
}

// Current is what a lock is checked against besides the manifest.
type Current struct {
	// Systems are checked when the manifest's options.systems is empty (the caller then decides
	// the platforms, for example the host's).
	Systems []string
	// Specs holds the current digest of every spec in the trees. A locked entry whose spec is
	// missing or has another digest is stale.
	Specs map[SpecRef]string
}

// EntryState says whether a locked entry can be used as it is.
type EntryState int

const (
	// EntryValid: the entry still stands.
	EntryValid EntryState = iota
	// EntryChanged: the entry must be resolved again; Changes says why.
	EntryChanged
	// EntryMissing: the manifest asks for an entry the lock does not have.
	EntryMissing
	// EntryOrphaned: the lock has an entry the manifest no longer asks for. It is ignored.
	EntryOrphaned
)

func (s EntryState) String() string {
	switch s {
	case EntryValid:
		return "valid"
	case EntryChanged:
		return "changed"
	case EntryMissing:
		return "missing"
	case EntryOrphaned:
		return "orphaned"
	}
	return fmt.Sprintf("EntryState(%d)", int(s))
}

// EntryStatus is the verdict on one (install id, system) pair.
type EntryStatus struct {
	InstallID string
	System    string
	State     EntryState
	Changes   []string // for EntryChanged: what changed, e.g. `version changed from ">=1" to ">=2"`
}

// Err returns nil for a valid or orphaned entry and a *StaleError otherwise.
func (s EntryStatus) Err() error {
	switch s.State {
	case EntryChanged:
		return &StaleError{InstallID: s.InstallID, System: s.System, Reason: strings.Join(s.Changes, "; ")}
	case EntryMissing:
		return &StaleError{InstallID: s.InstallID, System: s.System, Missing: true}
	}
	return nil
}

// StaleError names a lock entry that must be resolved again, and the fix.
type StaleError struct {
	InstallID string
	System    string
	Reason    string // what changed
	Missing   bool   // the lock has no entry at all
}

func (e *StaleError) Error() string {
	fix := fmt.Sprintf("run \"flavor lock --update %s\"", e.InstallID)
	if e.Missing {
		return fmt.Sprintf("flavor.lock has no entry %q for %s; %s", e.InstallID, e.System, fix)
	}
	return fmt.Sprintf("flavor.lock entry %q for %s is stale: %s; %s", e.InstallID, e.System, e.Reason, fix)
}

// Is makes errors.Is(err, ErrStaleLock) true for a *StaleError.
func (e *StaleError) Is(target error) bool { return target == ErrStaleLock }

// CheckLock applies the re-resolution rule to every (install id, system) pair of m and every
// entry of l: an entry is resolved again only when its pkg-path, version selector, pkg-group or
// requested flavor (Manifest.RequestedFlavor, which includes options.flavor) changed, or when the
// spec it resolved to changed or left the trees. Changing an entry's systems adds or orphans
// entries but leaves the others valid. Statuses come in manifest order (install ids sorted,
// systems as listed), then orphans.
func CheckLock(m *Manifest, l *Lock, cur Current) ([]EntryStatus, error) {
	if l == nil {
		l = &Lock{}
	}
	wanted := map[[2]string]bool{}
	var out []EntryStatus
	for _, in := range m.install {
		systems := in.systemsOr(m.options.Systems)
		if len(m.options.Systems) == 0 {
			systems = cur.Systems
		}
		for _, sys := range systems {
			norm, err := NormalizeSystem(sys)
			if err != nil {
				return nil, fmt.Errorf("checking lock entry %q: %w", in.ID, err)
			}
			wanted[[2]string{in.ID, norm}] = true
			req, err := requestedFlavor(m.options.Flavor, in.Flavor, norm)
			if err != nil {
				return nil, fmt.Errorf("checking lock entry %q for %s: %w", in.ID, norm, err)
			}
			st := EntryStatus{InstallID: in.ID, System: norm, State: EntryValid}
			e, ok := l.Entry(in.ID, norm)
			if !ok {
				st.State = EntryMissing
				out = append(out, st)
				continue
			}
			st.Changes = changes(in, e, req.Key(), cur.Specs)
			if len(st.Changes) > 0 {
				st.State = EntryChanged
			}
			out = append(out, st)
		}
	}
	for _, p := range l.Packages {
		if !wanted[[2]string{p.InstallID, p.System}] {
			out = append(out, EntryStatus{InstallID: p.InstallID, System: p.System, State: EntryOrphaned})
		}
	}
	return out, nil
}

func changes(in Install, e LockedPackage, requested string, specs map[SpecRef]string) []string {
	var out []string
	changed := func(what, from, to string) {
		if from != to {
			out = append(out, fmt.Sprintf("%s changed from %s to %s", what, shown(from), shown(to)))
		}
	}
	changed("pkg-path", e.Package, in.PkgPath)
	changed("version", e.VersionSelector, in.Version)
	changed("pkg-group", e.PkgGroup, in.PkgGroup)
	changed("flavor", e.RequestedFlavor, requested)
	ref := SpecRef{Package: e.Package, Version: e.Version, System: e.System}
	switch digest, ok := specs[ref]; {
	case !ok:
		out = append(out, fmt.Sprintf("spec %s %s is no longer in the trees", e.Package, e.Version))
	case digest != e.SpecDigest:
		locked := e.SpecDigest
		if locked == "" {
			locked = "(none)"
		}
		out = append(out, fmt.Sprintf("spec %s %s changed (now %s, locked %s)", e.Package, e.Version, digest, locked))
	}
	return out
}

// shown quotes a value for messages, naming the empty one.
func shown(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}

// VerifyLock is what `flavor pack --locked` runs: nil when every entry m needs is locked and
// valid; otherwise the first stale or missing entry as a *StaleError (wrapping ErrStaleLock), or
// an error wrapping ErrNoLock when l is nil.
func VerifyLock(m *Manifest, l *Lock, cur Current) error {
	if l == nil {
		return fmt.Errorf("%w: there is no flavor.lock; run \"flavor lock\"", ErrNoLock)
	}
	statuses, err := CheckLock(m, l, cur)
	if err != nil {
		return err
	}
	for _, s := range statuses {
		if err := s.Err(); err != nil {
			return err
		}
	}
	return nil
}
