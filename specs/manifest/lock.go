package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// LockfileVersion is the lockfile-version this package reads and writes.
const LockfileVersion = 1

// ErrInvalidLock is wrapped by every error about the content of a lock file.
var ErrInvalidLock = errors.New("invalid lock")

// Lock is the content of flavor.lock: one entry per install entry per system, and the launcher
// digest per system.
type Lock struct {
	LockfileVersion int               `json:"lockfile-version"`
	ManifestDigest  string            `json:"manifest-digest"`
	Packages        []LockedPackage   `json:"packages"`
	Launchers       map[string]string `json:"launchers"`
}

// LockedPackage is what one install entry resolved to on one system. The first eleven fields are
// those of manifest.md; VersionSelector and RequestedFlavor record what was asked for, so that a
// change to the manifest entry can be told from a change elsewhere (see CheckLock);
// PythonDependencies pins a Python application's resolved dependencies.
type LockedPackage struct {
	InstallID       string   `json:"install-id"`
	System          string   `json:"system"`
	Package         string   `json:"package"`          // the pkg-path it resolved ("apps/hello")
	Version         string   `json:"version"`          // the version it resolved to
	Flavor          string   `json:"flavor"`           // the artifact's flavor
	PkgGroup        string   `json:"pkg-group"`        // the entry's pkg-group
	SpecDigest      string   `json:"spec-digest"`      // digest of the spec it resolved to
	BaseImage       string   `json:"base-image"`       // base image by digest
	BuildDeps       []string `json:"build-deps"`       // "category/name@version" of build dependencies
	CacheKey        string   `json:"cache-key"`        // the build's cache key
	ArtifactDigest  string   `json:"artifact-digest"`  // digest of the built artifact
	VersionSelector string   `json:"version-selector"` // the entry's version selector when locked
	RequestedFlavor string   `json:"requested-flavor"` // Manifest.RequestedFlavor(...).Key() when locked
	// PythonDependencies are the Python distributions a Python application's runtime entry
	// resolved and installed ("name==version", sorted as pip's report lists them in
	// lib/python3/flavor-resolved.txt); omitted for every other entry.
	PythonDependencies []string `json:"python-dependencies,omitempty"`
}

// Entry returns the locked entry for an install id on a system.
func (l *Lock) Entry(installID, system string) (LockedPackage, bool) {
	for _, p := range l.Packages {
		if p.InstallID == installID && p.System == system {
			p.BuildDeps = slices.Clone(p.BuildDeps)
			p.PythonDependencies = slices.Clone(p.PythonDependencies)
			return p, true
		}
	}
	return LockedPackage{}, false
}

// Encode returns the lock as written to flavor.lock: indented JSON with keys in a fixed order,
// packages sorted by install id then system, launchers by system, and a final newline. Encoding
// a decoded lock gives back the same bytes.
func (l *Lock) Encode() ([]byte, error) {
	c := Lock{
		LockfileVersion: l.LockfileVersion,
		ManifestDigest:  l.ManifestDigest,
		Packages:        make([]LockedPackage, len(l.Packages)),
		Launchers:       map[string]string{},
	}
	for i, p := range l.Packages {
		if p.BuildDeps == nil {
			p.BuildDeps = []string{}
		}
		c.Packages[i] = p
	}
	sort.SliceStable(c.Packages, func(i, j int) bool {
		a, b := c.Packages[i], c.Packages[j]
		if a.InstallID != b.InstallID {
			return a.InstallID < b.InstallID
		}
		return a.System < b.System
	})
	for k, v := range l.Launchers {
		c.Launchers[k] = v
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep ">=1.0, <2" readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encoding lock: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeLock reads a lock strictly: unknown keys, a lockfile-version other than LockfileVersion,
// entries without an install id or system, and repeated (install id, system) pairs are errors
// wrapping ErrInvalidLock. name is used in messages.
func DecodeLock(name string, data []byte) (*Lock, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var l Lock
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("decoding lock %s: %w: %w", name, ErrInvalidLock, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decoding lock %s: %w: data after the JSON object", name, ErrInvalidLock)
	}
	if l.LockfileVersion != LockfileVersion {
		return nil, fmt.Errorf("decoding lock %s: %w: lockfile-version %d; this flavor reads %d (run \"flavor lock\" to write a new lock)",
			name, ErrInvalidLock, l.LockfileVersion, LockfileVersion)
	}
	seen := map[[2]string]bool{}
	for i, p := range l.Packages {
		if p.InstallID == "" || p.System == "" {
			return nil, fmt.Errorf("decoding lock %s: %w: packages[%d] has no install-id or system", name, ErrInvalidLock, i)
		}
		k := [2]string{p.InstallID, p.System}
		if seen[k] {
			return nil, fmt.Errorf("decoding lock %s: %w: entry %q for %s appears twice", name, ErrInvalidLock, p.InstallID, p.System)
		}
		seen[k] = true
	}
	if l.Launchers == nil {
		l.Launchers = map[string]string{}
	}
	return &l, nil
}

// ReadLock reads and decodes the lock at path; a missing file gives an error wrapping
// fs.ErrNotExist.
func ReadLock(ctx context.Context, path string) (*Lock, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading lock %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading lock: %w", err)
	}
	return DecodeLock(path, data)
}

// WriteLock encodes l and replaces the file at path atomically (a temporary file in the same
// directory, then a rename).
func WriteLock(ctx context.Context, path string, l *Lock) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("writing lock %s: %w", path, err)
	}
	data, err := l.Encode()
	if err != nil {
		return fmt.Errorf("writing lock %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".flavor.lock-*")
	if err != nil {
		return fmt.Errorf("writing lock %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing lock %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing lock %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing lock %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing lock %s: %w", path, err)
	}
	return nil
}
