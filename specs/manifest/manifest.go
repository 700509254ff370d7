package manifest

import (
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/flavor-dev/flavor/specs/flavor"
)

// SchemaVersion is the only manifest schema-version this package reads.
const SchemaVersion = "1"

// DefaultPkgGroup is the pkg-group of install entries that name none.
const DefaultPkgGroup = "toplevel"

// Manifest is a decoded, validated bundle manifest. It is immutable: every accessor returns a copy.
type Manifest struct {
	file     string
	schema   string
	pkg      Package
	options  Options
	install  []Install // sorted by ID
	vars     []Var     // sorted by name
	hook     Hook
	exec     Execution
	slots    []Slot
	signing  Signing
	metadata map[string]any
	python   *Python         // a Python application's build; nil for other manifests
	groups   map[string]Slot // slot settings of pkg-groups (Generated.GroupSlots)
	digest   string
}

// Package names the .psp ([package], defaulted from [project] in pyproject.toml).
type Package struct {
	Name        string
	Version     string
	Description string
}

// Options holds the [options] table.
type Options struct {
	// Systems are the platforms to build for, one .psp each, in OCI form ("linux/amd64"); Flox
	// names ("x86_64-linux") are normalised. Empty means the caller decides (for example the host).
	Systems []string
	// Flavor is the system flavor that selects package variants ("~ssl,~!debug").
	Flavor flavor.Flavor
	// Trees are the spec trees [install] resolves against, as written (relative to the
	// manifest's directory unless absolute); see Manifest.Abs.
	Trees []string
	// Values are template value files for those trees, as written.
	Values []string
	// StrictTrees makes what luet ignores in the trees (unknown keys, repeated keys, odd
	// names, unorderable versions) an error of the package that has it (specs.WithStrict).
	StrictTrees bool
}

// Install is one entry of [install]: a package built from the trees.
type Install struct {
	ID       string        // the install id (the table key)
	PkgPath  string        // "category/name" in the trees
	Version  string        // version selector as written; "" takes any. Checked when resolving
	PkgGroup string        // packages of one group share one slot; DefaultPkgGroup when not given
	Systems  []string      // the systems to install it on; nil means all of Options.Systems
	Flavor   flavor.Flavor // overrides Options.Flavor for this package; empty overrides nothing
}

// Var is one [vars] entry.
type Var struct {
	Name  string
	Raw   string // as written, with ${OTHER} references
	Value string // with every reference expanded
}

// Hook holds the [hook] table.
type Hook struct {
	// OnActivate is bash run once after the first extraction (PSPF setup commands).
	OnActivate string
}

// Execution holds [execution]: how the launcher runs the package.
type Execution struct {
	Command     string
	Args        []string
	Cwd         string
	PathPrepend []string
	PathAppend  []string
	Env         RuntimeEnv
	Signals     Signals
	// Portable is [execution] portable: nil (auto) starts a dynamically linked command through
	// the package's own loader when the package holds that loader; true requires it; false never.
	Portable *bool
}

// RuntimeEnv holds [execution.runtime.env], processed pass → unset → map → set.
type RuntimeEnv struct {
	Unset []string          // names or patterns ("*", "LC_*") to remove
	Pass  []string          // names or patterns to keep
	Map   map[string]string // old name → new name
	Set   map[string]string // name → value
}

// Signals holds [execution.signals].
type Signals struct {
	Forward         bool          // forward signals to the command; true unless set to false
	ShutdownTimeout time.Duration // grace period after forwarding; 0 means the launcher's default
}

// Slot is one extra slot made from a local file or directory ([[slots]]).
type Slot struct {
	ID          string
	Source      string      // path as written (relative to the manifest's directory unless absolute)
	Operations  []string    // chain of tar, gzip, bzip2, xz, zstd; nil means the default (tar+zstd for directories)
	Purpose     string      // code, data, config or media; "data" when not given
	Lifecycle   string      // one of Lifecycles; "runtime" when not given
	Priority    uint8       // cache priority, higher keeps longer; 128 when not given
	Platform    string      // "any", an OS ("linux") or a system ("linux/arm64"); "any" when not given
	Target      string      // where it is extracted in the workenv; "." when not given
	Permissions fs.FileMode // mode bits for single-file slots; 0 means the default (0600)
}

// Signing holds [signing]: key files as written (relative to the manifest's directory unless
// absolute) or a seed for deterministic test keys.
type Signing struct {
	PrivateKey string
	PublicKey  string
	KeySeed    string
}

// File returns the manifest's path as it was given to Load or Parse.
func (m *Manifest) File() string { return m.file }

// Dir returns the directory relative paths in the manifest are resolved against.
func (m *Manifest) Dir() string { return filepath.Dir(m.file) }

// Abs resolves a path written in the manifest against its directory; absolute paths and "" are
// returned unchanged.
func (m *Manifest) Abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(m.Dir(), filepath.FromSlash(p))
}

// SchemaVersion returns the manifest's schema-version.
func (m *Manifest) SchemaVersion() string { return m.schema }

// Package returns the [package] table.
func (m *Manifest) Package() Package { return m.pkg }

// Options returns the [options] table.
func (m *Manifest) Options() Options {
	o := m.options
	o.Systems = slices.Clone(o.Systems)
	o.Trees = slices.Clone(o.Trees)
	o.Values = slices.Clone(o.Values)
	return o
}

// Install returns the [install] entries, sorted by ID.
func (m *Manifest) Install() []Install {
	out := make([]Install, len(m.install))
	for i, in := range m.install {
		out[i] = in.clone()
	}
	return out
}

// InstallEntry returns the [install] entry with the given ID.
func (m *Manifest) InstallEntry(id string) (Install, bool) {
	for _, in := range m.install {
		if in.ID == id {
			return in.clone(), true
		}
	}
	return Install{}, false
}

func (in Install) clone() Install {
	in.Systems = slices.Clone(in.Systems)
	return in
}

// systemsOr returns the entry's own systems, or all when it names none.
func (in Install) systemsOr(all []string) []string {
	if in.Systems != nil {
		return slices.Clone(in.Systems)
	}
	return slices.Clone(all)
}

// InstallSystems returns the systems the entry id is built for, or nil for an unknown id.
func (m *Manifest) InstallSystems(id string) []string {
	in, ok := m.InstallEntry(id)
	if !ok {
		return nil
	}
	return in.systemsOr(m.options.Systems)
}

// Vars returns the [vars] entries sorted by name, with references expanded.
func (m *Manifest) Vars() []Var { return slices.Clone(m.vars) }

// Hook returns the [hook] table.
func (m *Manifest) Hook() Hook { return m.hook }

// Execution returns the [execution] table.
func (m *Manifest) Execution() Execution {
	e := m.exec
	e.Args = slices.Clone(e.Args)
	e.PathPrepend = slices.Clone(e.PathPrepend)
	e.PathAppend = slices.Clone(e.PathAppend)
	e.Env.Unset = slices.Clone(e.Env.Unset)
	e.Env.Pass = slices.Clone(e.Env.Pass)
	e.Env.Map = maps.Clone(e.Env.Map)
	e.Env.Set = maps.Clone(e.Env.Set)
	return e
}

// Slots returns the extra slots in the order written; their index is their slot number among
// the extra slots.
func (m *Manifest) Slots() []Slot {
	out := make([]Slot, len(m.slots))
	for i, s := range m.slots {
		s.Operations = slices.Clone(s.Operations)
		out[i] = s
	}
	return out
}

// Signing returns the [signing] table.
func (m *Manifest) Signing() Signing { return m.signing }

// Metadata returns a deep copy of the free-form [metadata] table.
func (m *Manifest) Metadata() map[string]any {
	v, _ := copyValue(m.metadata).(map[string]any)
	return v
}

// PackOnly reports whether the manifest has no [install] entries: plain packing of local content
// into slots, with no container started.
func (m *Manifest) PackOnly() bool { return len(m.install) == 0 }

// Digest returns "sha256:<hex>" of the manifest's canonical JSON encoding: the same content gives
// the same digest whatever its spelling, order of tables or file format (flavor.toml or
// pyproject.toml). It is the lock's manifest-digest.
func (m *Manifest) Digest() string { return m.digest }

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyValue(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			out[i], _ = copyValue(e).(map[string]any)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}

// RequestedFlavor returns the flavor an install entry asks for on a system: Options.Flavor with
// the system's instruction set (flavor.ForPlatform) put over its own, then the entry's flavor put
// over that (flavor.Override with flavor.MergeOverride both times, so "hello.flavor = ssl"
// requires ssl even where options.flavor says "~!ssl").
func (m *Manifest) RequestedFlavor(id, system string) (flavor.Flavor, error) {
	in, ok := m.InstallEntry(id)
	if !ok {
		return flavor.Flavor{}, &Error{File: m.file, Key: "install", Msg: fmt.Sprintf("no install entry %q", id)}
	}
	return requestedFlavor(m.options.Flavor, in.Flavor, system)
}

func requestedFlavor(options, entry flavor.Flavor, system string) (flavor.Flavor, error) {
	arch, err := flavor.ForPlatform(system)
	if err != nil {
		return flavor.Flavor{}, err
	}
	sys, err := flavor.Override(options, arch, flavor.MergeOverride)
	if err != nil {
		return flavor.Flavor{}, err
	}
	return flavor.Override(sys, entry, flavor.MergeOverride)
}
