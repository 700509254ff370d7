package packer

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// FormatName is the metadata "format" value.
const FormatName = "PSPF/2025"

// Metadata is the package's JSON metadata: the portable key set of pspf-decisions §1 plus the
// sections FlavorPack's launchers read, in a fixed key order. Keys this struct does not name are
// kept in Extra. A Metadata read from a package also keeps the exact signed JSON bytes (JSON).
type Metadata struct {
	Format          string           `json:"format"`
	FormatVersion   string           `json:"format_version"`
	Package         PackageInfo      `json:"package"`
	Slots           []SlotInfo       `json:"slots"`
	Execution       Execution        `json:"execution"`
	Runtime         *Runtime         `json:"runtime,omitempty"`
	Workenv         *Workenv         `json:"workenv,omitempty"`
	SetupCommands   []SetupCommand   `json:"setup_commands,omitempty"`
	CacheValidation *CacheValidation `json:"cache_validation,omitempty"`
	Verification    *Verification    `json:"verification,omitempty"`
	Build           *BuildInfo       `json:"build,omitempty"`
	// Integrity is this project's addition: what the signature covers beyond the JSON itself.
	Integrity *Integrity `json:"integrity,omitempty"`

	// Extra holds every other top-level key (provenance, platform, flavor, lock digest, a
	// manifest's [metadata], or a foreign builder's keys), as raw JSON.
	Extra map[string]json.RawMessage `json:"-"`

	raw []byte
}

// JSON returns the exact metadata bytes the signature covers (nil for a Metadata built in
// memory). The caller must not modify them.
func (m *Metadata) JSON() []byte { return m.raw }

// PackageInfo names the package.
type PackageInfo struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

// SlotInfo is one entry of the metadata "slots" list.
type SlotInfo struct {
	Slot        int    `json:"slot"`
	ID          string `json:"id"`
	Source      string `json:"source"`
	Target      string `json:"target"`
	Size        int64  `json:"size"`
	Checksum    string `json:"checksum"` // "sha256:<64 lowercase hex>" of the stored bytes
	Operations  string `json:"operations"`
	Purpose     string `json:"purpose"`
	Lifecycle   string `json:"lifecycle"`
	Permissions Perm   `json:"permissions"`
	Priority    int    `json:"priority,omitempty"`
	Platform    string `json:"platform,omitempty"` // "" = any
}

// SHA256 returns the slot's full checksum from the metadata, and false when it is absent or not
// of the "sha256:<hex>" form.
func (s SlotInfo) SHA256() ([32]byte, bool) { return parseSHA256(s.Checksum) }

// Execution says what the launcher runs. After reading, Env and Environment both hold the
// effective environment (FlavorPack's Rust builder writes only env, its Go builder only
// environment); our writer writes both.
type Execution struct {
	PrimarySlot int               `json:"primary_slot"`
	Command     string            `json:"command"`
	Args        []string          `json:"args,omitempty"`
	Cwd         string            `json:"cwd,omitempty"`
	Env         map[string]string `json:"env"`
	Environment map[string]string `json:"environment"`
	PathPrepend []string          `json:"path_prepend,omitempty"`
	PathAppend  []string          `json:"path_append,omitempty"`
	Signals     *Signals          `json:"signals,omitempty"`
	// Loader, when set, is the dynamic loader the launcher starts the command's program
	// through, with LibraryPath as its library search path (see package portable); both are
	// written with the {workenv} placeholder. FlavorPack's launchers ignore them.
	Loader      string   `json:"loader,omitempty"`
	LibraryPath []string `json:"library_path,omitempty"`
}

// Signals says how the launcher treats signals while the child runs.
type Signals struct {
	Forward         bool `json:"forward"`
	ShutdownTimeout int  `json:"shutdown_timeout,omitempty"` // seconds
}

// Runtime holds the runtime environment rules.
type Runtime struct {
	Env RuntimeEnv `json:"env"`
}

// RuntimeEnv is the pass/unset/map/set environment filter (names or globs with * and ?).
type RuntimeEnv struct {
	Unset []string          `json:"unset"`
	Pass  []string          `json:"pass"`
	Map   map[string]string `json:"map"`
	Set   map[string]string `json:"set"`
}

// Workenv lists directories to create in the work environment and extra variables.
type Workenv struct {
	Directories []WorkenvDir      `json:"directories,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
}

// WorkenvDir is one directory the launcher creates ("{workenv}/tmp", mode 0750).
type WorkenvDir struct {
	Path string `json:"path"`
	Mode Perm   `json:"mode,omitempty"`
}

// CacheValidation is FlavorPack's optional cache check file.
type CacheValidation struct {
	CheckFile       string `json:"check_file"`
	ExpectedContent string `json:"expected_content"`
}

// Verification holds informational signing labels (no launcher reads them).
type Verification struct {
	IntegritySeal       IntegritySeal `json:"integrity_seal"`
	Signed              bool          `json:"signed"`
	RequireVerification bool          `json:"require_verification"`
}

// IntegritySeal is part of Verification.
type IntegritySeal struct {
	Required  bool   `json:"required"`
	Algorithm string `json:"algorithm"`
}

// BuildInfo records the tool that wrote the package. Our writer records no host details.
type BuildInfo struct {
	Tool          string `json:"tool"`
	ToolVersion   string `json:"tool_version,omitempty"`
	Timestamp     string `json:"timestamp,omitempty"` // from SOURCE_DATE_EPOCH only
	Deterministic bool   `json:"deterministic"`
}

// Integrity pins, under the signature, the bytes the PSPF format leaves unsigned: the launcher
// prefix and each slot descriptor.
type Integrity struct {
	LauncherSize   int64  `json:"launcher_size"`
	LauncherSHA256 string `json:"launcher_sha256"` // "sha256:<hex>"
	// Descriptors holds each slot descriptor's 64 bytes in hex with the offset field zeroed (the
	// offset depends on the metadata's own length).
	Descriptors []string `json:"descriptors"`
}

// knownKeys are the top-level keys Metadata decodes into fields.
var knownKeys = map[string]bool{
	"format": true, "format_version": true, "package": true, "slots": true, "execution": true,
	"runtime": true, "workenv": true, "setup_commands": true, "cache_validation": true,
	"verification": true, "build": true, "integrity": true,
}

// ParseMetadata decodes metadata JSON, keeping the exact bytes. Unknown top-level keys go to Extra;
// unknown keys inside sections are ignored (foreign builders add their own). It decodes what
// encoding/json would, except that a key named twice in an object it decodes is malformed.
func ParseMetadata(b []byte) (*Metadata, error) {
	var m Metadata
	if err := decodeMetadata(b, &m); err != nil {
		return nil, fmt.Errorf("decoding metadata JSON: %w: %w", err, ErrMalformed)
	}
	if m.Execution.Env == nil {
		m.Execution.Env = m.Execution.Environment
	}
	if m.Execution.Environment == nil {
		m.Execution.Environment = m.Execution.Env
	}
	m.raw = b
	return &m, nil
}

// encode writes m as indented JSON with a stable key order: the struct's fields in order, then
// Extra's keys sorted. HTML characters are not escaped, so commands read as written.
func (m *Metadata) encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	compact := bytes.TrimRight(buf.Bytes(), "\n")
	if len(m.Extra) > 0 {
		keys := make([]string, 0, len(m.Extra))
		for k := range m.Extra {
			// A key that is a section's name in another case is refused too: readers that match
			// names case-insensitively (encoding/json, ParseMetadata) would see the section twice.
			if knownKeys[k] || matchField(metadataFields, []byte(k)) >= 0 {
				return nil, fmt.Errorf("extra metadata key %q is reserved: %w", k, ErrInvalidInput)
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := append([]byte(nil), compact[:len(compact)-1]...) // drop the closing brace
		for _, k := range keys {
			kb, _ := json.Marshal(k)
			out = append(append(append(out, ','), kb...), ':')
			out = append(out, m.Extra[k]...)
		}
		compact = append(out, '}')
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, compact, "", "  "); err != nil {
		return nil, err
	}
	pretty.WriteByte('\n')
	return pretty.Bytes(), nil
}

// Perm is a Unix permission value written as a 4-digit octal string ("0755"). It reads back
// octal strings ("0755", "755", "0o755") and JSON numbers.
type Perm uint32

// MarshalJSON writes the octal string form.
func (p Perm) MarshalJSON() ([]byte, error) { return json.Marshal(fmt.Sprintf("%04o", uint32(p))) }

// UnmarshalJSON accepts an octal string or a number.
func (p *Perm) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n uint32
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("permissions must be an octal string or a number, got %s", b)
		}
		*p = Perm(n)
		return nil
	}
	v, err := parseOctal(s)
	if err != nil {
		return err
	}
	*p = Perm(v)
	return nil
}

func parseOctal(s string) (uint32, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0o"), "0O")
	if t == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(t, 8, 32)
	if err != nil {
		return 0, fmt.Errorf("permissions %q are not octal", s)
	}
	return uint32(v), nil
}

// SetupCommand is one entry of setup_commands: a plain command string, or an object with a
// type (write_file, enumerate_and_execute, or any other type meaning "run command").
type SetupCommand struct {
	Type      string     `json:"type,omitempty"`
	Command   string     `json:"command,omitempty"`
	Path      string     `json:"path,omitempty"`
	Content   string     `json:"content,omitempty"`
	Mode      *uint32    `json:"mode,omitempty"` // numeric; octal strings are accepted on read
	Enumerate *Enumerate `json:"enumerate,omitempty"`
}

// Enumerate selects files for an enumerate_and_execute setup command.
type Enumerate struct {
	Path    string `json:"path"`
	Pattern string `json:"pattern"`
}

type setupCommandFields SetupCommand

// MarshalJSON writes a bare string for a plain command, an object otherwise.
func (c SetupCommand) MarshalJSON() ([]byte, error) {
	if c.Type == "" && c.Path == "" && c.Content == "" && c.Mode == nil && c.Enumerate == nil {
		return marshalNoEscape(c.Command)
	}
	return marshalNoEscape(setupCommandFields(c))
}

// UnmarshalJSON reads a string or an object; an object's mode may be a number or octal string.
func (c *SetupCommand) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = SetupCommand{Command: s}
		return nil
	}
	var obj struct {
		setupCommandFields
		Mode json.RawMessage `json:"mode,omitempty"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("setup command must be a string or an object: %v", err)
	}
	*c = SetupCommand(obj.setupCommandFields)
	c.Mode = nil
	if len(obj.Mode) > 0 && string(obj.Mode) != "null" {
		var p Perm
		if err := p.UnmarshalJSON(obj.Mode); err != nil {
			return err
		}
		v := uint32(p)
		c.Mode = &v
	}
	return nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// FormatSHA256 renders a checksum the way the metadata stores it: "sha256:<hex>".
func FormatSHA256(sum [32]byte) string { return "sha256:" + hex.EncodeToString(sum[:]) }

func parseSHA256(s string) ([32]byte, bool) {
	var sum [32]byte
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(h) != 64 {
		return sum, false
	}
	if _, err := hex.Decode(sum[:], []byte(h)); err != nil {
		return sum, false
	}
	return sum, true
}
