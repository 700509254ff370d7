package lock

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/specs/manifest"
)

// makeLock assembles the lock after the builds: an entry per resolved (entry, system), the
// lock's entries of systems not resolved this time, and the launcher digests. With WithFrozen
// every reused entry must come out as it was locked.
func (r *resolver) makeLock(plans []*systemPlan) (*manifest.Lock, error) {
	l := &manifest.Lock{LockfileVersion: manifest.LockfileVersion, ManifestDigest: r.m.Digest(), Launchers: map[string]string{}}
	resolved := map[string]bool{}
	for _, sp := range plans {
		resolved[sp.system] = true
		for _, ep := range sp.entries {
			e := lockEntry(sp, ep)
			if r.isPythonRuntime(ep.in) {
				deps, err := pythonDependencies(ep.self.art)
				if err != nil {
					return nil, &EntryError{Manifest: r.m.File(), InstallID: ep.in.ID, System: sp.system, Err: err}
				}
				e.PythonDependencies = deps
			}
			if r.o.frozen && ep.previous != nil {
				if diff := lockDiff(*ep.previous, e); len(diff) > 0 {
					return nil, &manifest.StaleError{InstallID: ep.in.ID, System: sp.system, Reason: strings.Join(diff, "; ")}
				}
			}
			l.Packages = append(l.Packages, e)
		}
	}
	if old := r.o.lock; old != nil {
		for _, p := range old.Packages {
			if resolved[p.System] {
				continue
			}
			if r.keepLocked(p) {
				l.Packages = append(l.Packages, p)
			}
		}
		for s, d := range old.Launchers {
			if len(r.m.Options().Systems) == 0 || slices.Contains(r.m.Options().Systems, s) {
				l.Launchers[s] = d
			}
		}
	}
	if r.o.frozen {
		if err := r.checkLaunchers(); err != nil {
			return nil, err
		}
	}
	for _, s := range r.systems {
		if d, ok := r.o.launchers[s]; ok {
			l.Launchers[s] = d
		}
	}
	sort.SliceStable(l.Packages, func(i, j int) bool {
		a, b := l.Packages[i], l.Packages[j]
		if a.InstallID != b.InstallID {
			return a.InstallID < b.InstallID
		}
		return a.System < b.System
	})
	return l, nil
}

// checkLaunchers compares the launchers given (WithLauncherDigest) of the systems resolved with
// the lock's (WithFrozen).
func (r *resolver) checkLaunchers() error {
	for _, s := range r.systems {
		d, ok := r.o.launchers[s]
		if !ok {
			continue
		}
		locked, has := r.o.lock.Launchers[s]
		if !has {
			return fmt.Errorf("%w: flavor.lock records no launcher for %s; run \"flavor lock\"", manifest.ErrStaleLock, s)
		}
		if locked != d {
			return fmt.Errorf("%w: flavor.lock records launcher %s for %s, and this flavor packs %s; use the flavor that wrote the lock, or run \"flavor lock\" to accept this launcher",
				manifest.ErrStaleLock, locked, s, d)
		}
	}
	return nil
}

// lockEntry is what ep resolved to and built, as flavor.lock records it.
func lockEntry(sp *systemPlan, ep *entryPlan) manifest.LockedPackage {
	md := ep.self.art.Metadata
	deps := []string{}
	for _, d := range md.BuildDeps {
		deps = append(deps, d.Package)
	}
	return manifest.LockedPackage{
		InstallID:       ep.in.ID,
		System:          sp.system,
		Package:         ep.in.PkgPath,
		Version:         ep.pkg.Version,
		Flavor:          ep.self.v.flavor,
		PkgGroup:        ep.in.PkgGroup,
		SpecDigest:      ep.digest,
		BaseImage:       imageName(sp, md.BaseImage),
		BuildDeps:       deps,
		CacheKey:        md.CacheKey,
		ArtifactDigest:  artifactDigest(md.Checksums),
		VersionSelector: ep.in.Version,
		RequestedFlavor: ep.req.Key(),
	}
}

func artifactDigest(sums map[string]string) string {
	if h := sums["sha256"]; h != "" {
		return "sha256:" + h
	}
	return ""
}

// lockDiff says how a reused entry's build differs from what the lock records.
func lockDiff(locked, now manifest.LockedPackage) []string {
	var out []string
	if locked.BaseImage != now.BaseImage {
		out = append(out, fmt.Sprintf("base image is %s, locked %s", orNone(now.BaseImage), orNone(locked.BaseImage)))
	}
	if !slices.Equal(locked.BuildDeps, now.BuildDeps) {
		out = append(out, fmt.Sprintf("build dependencies are [%s], locked [%s]", strings.Join(now.BuildDeps, ", "), strings.Join(locked.BuildDeps, ", ")))
	}
	deps := pythonDepsDiff(locked.PythonDependencies, now.PythonDependencies)
	out = append(out, deps...)
	if len(deps) > 0 {
		return out // the artifact differs as a consequence; the dependencies say why
	}
	if locked.CacheKey != now.CacheKey {
		out = append(out, fmt.Sprintf("cache key is %s, locked %s (a build input outside the entry's spec changed: a build dependency, a copied image or the platform)", now.CacheKey, orNone(locked.CacheKey)))
	} else if locked.ArtifactDigest != now.ArtifactDigest {
		out = append(out, fmt.Sprintf("the build gave artifact %s, locked %s (same inputs, other bytes: the build is not reproducible, or the cache holds another build of it)", now.ArtifactDigest, orNone(locked.ArtifactDigest)))
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// keepLocked reports whether an entry of a system not resolved this time stays in the lock: its
// install entry is still there and still installed on that system (with no options.systems,
// on any system: the caller chooses them run by run).
func (r *resolver) keepLocked(p manifest.LockedPackage) bool {
	if _, ok := r.m.InstallEntry(p.InstallID); !ok {
		return false
	}
	if len(r.m.Options().Systems) == 0 {
		return true
	}
	return slices.Contains(r.m.InstallSystems(p.InstallID), p.System)
}

// groups arranges a system's built packages for shipping (see the package doc).
func groups(sp *systemPlan) []Group {
	byGroup := map[string][]*entryPlan{}
	named := map[string]map[string][]string{} // need key → group → install ids naming it
	for _, ep := range sp.entries {
		g := ep.in.PkgGroup
		byGroup[g] = append(byGroup[g], ep)
		k := ep.self.key()
		if named[k] == nil {
			named[k] = map[string][]string{}
		}
		named[k][g] = append(named[k][g], ep.in.ID)
	}
	shippedDep := map[string]bool{}
	var out []Group
	for _, g := range sortedKeys(byGroup) {
		eps := byGroup[g]
		sort.Slice(eps, func(i, j int) bool { return eps[i].in.ID < eps[j].in.ID })
		grp := Group{Name: g}
		in := map[string]bool{}
		for _, ep := range eps {
			for _, n := range ep.closure {
				k := n.key()
				if in[k] {
					continue
				}
				ids, isNamed := named[k]
				if isNamed && ids[g] == nil {
					continue // ships in the group of the entry that names it
				}
				if !isNamed && shippedDep[k] {
					continue // a runtime dependency an earlier group ships
				}
				in[k] = true
				if !isNamed {
					shippedDep[k] = true
				}
				grp.Packages = append(grp.Packages, Installed{
					Package: n.pkg.ID(), InstallIDs: ids[g], Flavor: n.v.flavor,
					BaseImage: imageName(sp, n.art.Metadata.BaseImage), Artifact: *n.art,
				})
			}
		}
		out = append(out, grp)
	}
	return out
}
