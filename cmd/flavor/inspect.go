package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/sbom"
)

// sbomLine says which documents a package carries.
func sbomLine(formats []string) string {
	if len(formats) == 0 {
		return "none inside (flavor sbom gives a files-only SBOM read from the slots)"
	}
	return strings.Join(formats, ", ") + " inside, signed (flavor sbom --format F prints one)"
}

// inspectCommand is `flavor inspect`: what a package holds, without running or unpacking it.
func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show a package's index, slots, execution, environment, setup, signature and provenance",
		ArgsUsage: "PSP",
		Description: "The package is opened as the launcher opens it (--validation, default standard: trailer,\n" +
			"index, metadata, signature, slot table); slot bytes are not read. Use --validation none to\n" +
			"look inside a package that fails those checks.",
		Flags: append(trustFlags(),
			&cli.BoolFlag{Name: "json", Usage: "print JSON (same as --output-format json)"},
		),
		Action: inspectAction,
	}
}

type inspectResult struct {
	Path          string                     `json:"path"`
	Size          int64                      `json:"size"`
	Level         string                     `json:"level"`
	Format        string                     `json:"format"`
	Package       packer.PackageInfo         `json:"package"`
	Index         inspectIndex               `json:"index"`
	Slots         []inspectSlot              `json:"slots"`
	Execution     packer.Execution           `json:"execution"`
	Runtime       packer.RuntimeEnv          `json:"runtime_env"`
	SetupCommands []packer.SetupCommand      `json:"setup_commands"`
	Workenv       *packer.Workenv            `json:"workenv,omitempty"`
	Signature     inspectSignature           `json:"signature"`
	Build         *packer.BuildInfo          `json:"build,omitempty"`
	LauncherSHA   string                     `json:"launcher_sha256,omitempty"` // pinned in the signed metadata
	Extras        map[string]json.RawMessage `json:"extras"`                    // every top-level key beyond PSPF's: platform, provenance, metadata, …
	SBOM          []string                   `json:"sbom"`                      // the documents the package carries (spdx, cyclonedx, provenance)
	Warnings      []string                   `json:"warnings,omitempty"`
}

type inspectIndex struct {
	FormatVersion    string `json:"format_version"`
	Checksum         string `json:"checksum"`
	PackageSize      uint64 `json:"package_size"`
	LauncherSize     uint64 `json:"launcher_size"`
	MetadataOffset   uint64 `json:"metadata_offset"`
	MetadataSize     uint64 `json:"metadata_size"`
	MetadataChecksum string `json:"metadata_checksum"`
	SlotTableOffset  uint64 `json:"slot_table_offset"`
	SlotTableSize    uint64 `json:"slot_table_size"`
	SlotCount        uint32 `json:"slot_count"`
	Flags            uint32 `json:"flags"`
}

type inspectSlot struct {
	Slot        int                        `json:"slot"`
	ID          string                     `json:"id"`
	Source      string                     `json:"source"`
	Target      string                     `json:"target"`
	Operations  string                     `json:"operations"`
	Stored      uint64                     `json:"stored"`
	Original    uint64                     `json:"original"`
	Offset      uint64                     `json:"offset"`
	Checksum    string                     `json:"checksum"`
	Purpose     string                     `json:"purpose"`
	Lifecycle   string                     `json:"lifecycle"`
	Platform    string                     `json:"platform"`
	Permissions string                     `json:"permissions"`
	Priority    int                        `json:"priority"`
	Extras      map[string]json.RawMessage `json:"extras,omitempty"` // unknown slot keys and provenance.slots.<id>
}

type inspectSignature struct {
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"public_key"`
	Signature string `json:"signature"`
	Checked   bool   `json:"checked"` // the level verified it
	Trusted   *bool  `json:"trusted"` // null when no trusted keys were given
}

func inspectAction(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		o.json = true
	}
	if c.NArg() != 1 {
		return fmt.Errorf("inspect: want one package, got %d arguments", c.NArg())
	}
	tr, err := readTrust(c)
	if err != nil {
		return err
	}
	path := c.Args().First()
	p, err := packer.Open(c.Context, path, append(tr.options(), packer.WithLogger(o.logger()))...)
	if err != nil {
		code := exitVerifyFailed
		if !errors.Is(err, packer.ErrMalformed) && checkName(err) == "read" {
			code = 1
		}
		return &exitError{code: code, err: fmt.Errorf("inspect: %w (--validation none shows it anyway)", err)}
	}
	defer p.Close()
	res, err := describePackage(p, tr)
	if err != nil {
		return err
	}
	return o.result(res, func(w io.Writer) error { return writeInspectText(w, res) })
}

func describePackage(p *packer.Package, tr trust) (*inspectResult, error) {
	md, idx := p.Metadata(), p.Index()
	res := &inspectResult{
		Path: p.Name(), Size: p.Size(), Level: p.Level().String(), Format: md.Format, Package: md.Package,
		Index: inspectIndex{
			FormatVersion: fmt.Sprintf("%#08x", idx.FormatVersion), Checksum: fmt.Sprintf("%#08x", idx.Checksum),
			PackageSize: idx.PackageSize, LauncherSize: idx.LauncherSize,
			MetadataOffset: idx.MetadataOffset, MetadataSize: idx.MetadataSize,
			MetadataChecksum: "sha256:" + hex.EncodeToString(idx.MetadataChecksum[:]),
			SlotTableOffset:  idx.SlotTableOffset, SlotTableSize: idx.SlotTableSize, SlotCount: idx.SlotCount, Flags: idx.Flags,
		},
		Execution: md.Execution, SetupCommands: md.SetupCommands, Workenv: md.Workenv, Build: md.Build,
		Extras: md.Extra,
		Signature: inspectSignature{
			Algorithm: "ed25519", PublicKey: hex.EncodeToString(idx.PublicKey[:]), Signature: hex.EncodeToString(idx.Signature[:]),
			Checked: p.Level() >= packer.LevelRelaxed,
		},
	}
	if md.Integrity != nil {
		res.LauncherSHA = md.Integrity.LauncherSHA256
	}
	res.SBOM = sbom.HasEmbedded(md)
	if res.SBOM == nil {
		res.SBOM = []string{}
	}
	if res.Extras == nil {
		res.Extras = map[string]json.RawMessage{}
	}
	if md.Runtime != nil {
		res.Runtime = md.Runtime.Env
	}
	if tr.set && p.Level() >= packer.LevelRelaxed {
		t := true // Open refuses untrusted keys at these levels
		res.Signature.Trusted = &t
	}
	for _, w := range p.Warnings() {
		res.Warnings = append(res.Warnings, w.String())
		if w.Check == "signature" {
			res.Signature.Checked = false
		}
	}
	extras, err := slotExtras(md)
	if err != nil {
		return nil, err
	}
	for i := 0; i < p.NumSlots(); i++ {
		d, err := p.Descriptor(i)
		if err != nil {
			return nil, err
		}
		s := inspectSlot{Slot: i, Stored: d.Size, Original: d.OriginalSize, Offset: d.Offset, Operations: d.Chain().String(),
			Permissions: fmt.Sprintf("%04o", d.Permissions), Priority: int(d.Priority),
			Purpose: d.Purpose.String(), Lifecycle: d.Lifecycle.String()}
		if info, ok := p.SlotInfo(i); ok {
			s.ID, s.Source, s.Target, s.Checksum = info.ID, info.Source, info.Target, info.Checksum
			s.Purpose, s.Lifecycle, s.Platform = info.Purpose, info.Lifecycle, info.Platform
			s.Extras = extras[i]
		}
		if s.Platform == "" {
			s.Platform = "any"
		}
		res.Slots = append(res.Slots, s)
	}
	return res, nil
}

// knownSlotKeys are the slot keys packer.SlotInfo reads; anything else a slot carries is shown as
// an extra.
var knownSlotKeys = map[string]bool{
	"slot": true, "id": true, "source": true, "target": true, "size": true, "checksum": true, "operations": true,
	"purpose": true, "lifecycle": true, "permissions": true, "priority": true, "platform": true,
}

// slotExtras collects, per slot, the keys of its metadata entry that PSPF does not define, and
// its entry under provenance.slots.
func slotExtras(md *packer.Metadata) (map[int]map[string]json.RawMessage, error) {
	out := map[int]map[string]json.RawMessage{}
	add := func(i int, k string, v json.RawMessage) {
		if out[i] == nil {
			out[i] = map[string]json.RawMessage{}
		}
		out[i][k] = v
	}
	var raw struct {
		Slots []map[string]json.RawMessage `json:"slots"`
	}
	if js := md.JSON(); js != nil {
		if err := json.Unmarshal(js, &raw); err != nil {
			return nil, fmt.Errorf("reading slot entries: %w", err)
		}
	}
	for i, s := range raw.Slots {
		for k, v := range s {
			if !knownSlotKeys[k] {
				add(i, k, v)
			}
		}
	}
	var prov struct {
		Slots map[string]json.RawMessage `json:"slots"`
	}
	if p, ok := md.Extra["provenance"]; ok && json.Unmarshal(p, &prov) == nil {
		for i, s := range md.Slots {
			if v, ok := prov.Slots[s.ID]; ok {
				add(i, "provenance", v)
			}
		}
	}
	return out, nil
}

func writeInspectText(w io.Writer, r *inspectResult) error {
	ix := r.Index
	sig := "signature valid"
	if !r.Signature.Checked {
		sig = "signature NOT checked at level " + r.Level
	}
	switch {
	case r.Signature.Trusted != nil && *r.Signature.Trusted:
		sig += ", trusted key"
	case r.Signature.Checked:
		sig += ", not checked against a trusted key"
	}
	rows := [][]string{
		{"package", r.Package.Name + " " + r.Package.Version + describe(r.Package.Description)},
		{"file", fmt.Sprintf("%s (%s)", r.Path, bytesize(r.Size))},
		{"format", fmt.Sprintf("%s, version %s, index checksum %s, flags %d", r.Format, ix.FormatVersion, ix.Checksum, ix.Flags)},
		{"signed by", fmt.Sprintf("%s (%s)", r.Signature.PublicKey, sig)},
		{"launcher", strings.TrimSuffix(fmt.Sprintf("%s at 0, %s", bytesize(int64(ix.LauncherSize)), r.LauncherSHA), ", ")},
		{"metadata", fmt.Sprintf("%d bytes at %d, %s", ix.MetadataSize, ix.MetadataOffset, ix.MetadataChecksum)},
		{"slot table", fmt.Sprintf("%d slots at %d", ix.SlotCount, ix.SlotTableOffset)},
		{"SBOM", sbomLine(r.SBOM)},
	}
	if b := r.Build; b != nil {
		built := b.Tool + " " + b.ToolVersion
		if b.Timestamp != "" {
			built += ", " + b.Timestamp
		}
		rows = append(rows, []string{"built by", built})
	}
	if err := table(w, rows); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nslots")
	rows = [][]string{{"  #", "id", "target", "operations", "stored", "input", "sha256", "lifecycle", "purpose", "platform", "mode"}}
	for _, s := range r.Slots {
		rows = append(rows, []string{"  " + strconv.Itoa(s.Slot), s.ID, s.Target, s.Operations, bytesize(int64(s.Stored)),
			bytesize(int64(s.Original)), shortSum(s.Checksum), s.Lifecycle, s.Purpose, s.Platform, s.Permissions})
	}
	if err := table(w, rows); err != nil {
		return err
	}

	ex := r.Execution
	fmt.Fprintln(w, "\nexecution")
	rows = [][]string{{"  command", ex.Command}}
	if len(ex.Args) > 0 {
		rows = append(rows, []string{"  args", strings.Join(ex.Args, " ")})
	}
	if ex.Cwd != "" {
		rows = append(rows, []string{"  cwd", ex.Cwd})
	}
	rows = append(rows, []string{"  env", pairs(ex.Env, "=")})
	if len(ex.PathPrepend)+len(ex.PathAppend) > 0 {
		rows = append(rows, []string{"  PATH", fmt.Sprintf("prepend [%s], append [%s]", strings.Join(ex.PathPrepend, " "), strings.Join(ex.PathAppend, " "))})
	}
	if s := ex.Signals; s != nil {
		timeout := "the launcher's default"
		if s.ShutdownTimeout > 0 {
			timeout = strconv.Itoa(s.ShutdownTimeout) + "s"
		}
		rows = append(rows, []string{"  signals", fmt.Sprintf("forward %v, shutdown timeout %s", s.Forward, timeout)})
	}
	re := r.Runtime
	rows = append(rows,
		[]string{"  runtime env", fmt.Sprintf("pass [%s]  unset [%s]", strings.Join(re.Pass, " "), strings.Join(re.Unset, " "))},
		[]string{"", fmt.Sprintf("map {%s}  set {%s}", pairs(re.Map, "→"), pairs(re.Set, "="))},
	)
	for i, sc := range r.SetupCommands {
		b, _ := json.Marshal(sc)
		text := string(b)
		if sc.Type == "" && sc.Command != "" {
			text = sc.Command
		}
		rows = append(rows, []string{fmt.Sprintf("  setup %d", i+1), text})
	}
	if err := table(w, rows); err != nil {
		return err
	}

	if rows := installRows(r.Slots); len(rows) > 1 {
		fmt.Fprintln(w, "\nbuilt packages")
		if err := table(w, rows); err != nil {
			return err
		}
	}

	// Each slot's provenance is shown once: in the table above when it was built from [install],
	// else on its own line below; the top-level provenance line leaves out its "slots" key.
	fmt.Fprintln(w, "\nprovenance and extras")
	rows = nil
	for _, k := range sortedKeys(r.Extras) {
		v := r.Extras[k]
		if k == "provenance" {
			v = withoutKey(v, "slots")
		}
		rows = append(rows, []string{"  " + k, compactJSON(v)})
	}
	for _, s := range r.Slots {
		for _, k := range sortedKeys(s.Extras) {
			if k == "provenance" && len(installRows([]inspectSlot{s})) > 1 {
				continue
			}
			rows = append(rows, []string{"  slot " + s.ID + " " + k, compactJSON(s.Extras[k])})
		}
	}
	if len(rows) == 0 {
		rows = append(rows, []string{"  (none)"})
	}
	if err := table(w, rows); err != nil {
		return err
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

func describe(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func shortSum(s string) string {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

func pairs(m map[string]string, sep string) string {
	var out []string
	for _, k := range sortedKeys(m) {
		out = append(out, k+sep+m[k])
	}
	return strings.Join(out, ", ")
}

// withoutKey returns the JSON object b without key k (b itself when it is not an object).
func withoutKey(b json.RawMessage, k string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return b
	}
	delete(m, k)
	out, err := json.Marshal(m)
	if err != nil {
		return b
	}
	return out
}

func compactJSON(b json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// installRows lists the packages [install] slots were built from, from their provenance.
func installRows(slots []inspectSlot) [][]string {
	rows := [][]string{{"  slot", "package", "flavor", "base image", "cache key", "artifact"}}
	for _, s := range slots {
		var prov struct {
			Origin   string `json:"origin"`
			Packages []struct {
				Package        string   `json:"package"`
				Flavor         string   `json:"flavor"`
				BaseImage      string   `json:"base_image"`
				CacheKey       string   `json:"cache_key"`
				ArtifactDigest string   `json:"artifact_digest"`
				InstallIDs     []string `json:"install_ids"`
			} `json:"packages"`
		}
		if json.Unmarshal(s.Extras["provenance"], &prov) != nil || prov.Origin != "install" {
			continue
		}
		for _, p := range prov.Packages {
			name := p.Package
			if len(p.InstallIDs) == 0 {
				name += " (runtime dependency)"
			}
			base := p.BaseImage
			if i := strings.LastIndex(base, "@"); i > 0 {
				base = base[:i+1] + shortSum(base[i+1:])
			}
			rows = append(rows, []string{"  " + s.ID, name, p.Flavor, base, shortSum(p.CacheKey), shortSum(p.ArtifactDigest)})
		}
	}
	return rows
}
