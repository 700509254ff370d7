package packer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/progress"
)

// Spec describes a package to write.
type Spec struct {
	// Launcher is the executable copied unchanged to the front of the package.
	Launcher    []byte
	Name        string
	Version     string
	Description string
	// Execution is what the launcher runs. Env is written under both execution.env and
	// execution.environment; Environment is ignored.
	Execution     Execution
	Runtime       RuntimeEnv
	SetupCommands []SetupCommand
	Workenv       *Workenv
	Slots         []Slot
	// Extra adds top-level metadata keys (provenance, platform, flavor, lock digest, a manifest's
	// [metadata]); each value is encoded with encoding/json. Keys of the portable set are refused.
	Extra map[string]any
	// ToolVersion is recorded as build.tool_version.
	ToolVersion string
}

// Slot describes one slot's content and labels. Exactly one of Path and Reader is set.
type Slot struct {
	ID string
	// Path is a directory (tarred with TarDir) or a file on disk.
	Path string
	// Reader supplies the content instead of Path: the input of the first operation, so a ready
	// tar stream when Operations start with tar.
	Reader io.Reader
	// Source is the metadata "source" label. Default: Path's base name, or "stream".
	Source string
	// Target is where the launcher puts the slot. Default: "{workenv}" for a tar slot, the file's
	// base name for a single file.
	Target string
	// Operations to apply. Default: tar+zstd for a directory, raw otherwise. A raw slot under 16
	// bytes is stored gzip-compressed instead, because FlavorPack's Go launcher misreads stored
	// slots shorter than 16 bytes (pspf-2025.md §13.6); the descriptor and metadata say gzip.
	Operations ops.Chain
	Purpose    string // data (default), code, config, media
	Lifecycle  string // runtime (default), init, startup, …; written to the metadata as given
	Priority   uint8
	Platform   string // "" or "any" for every platform, else "linux", "linux/arm64", …
	// TreeRoot is, for a tar slot, where the root of the tree it holds lies inside the workenv
	// ("" for the workenv itself): a symlink to an absolute path /p is rewritten to the relative
	// link that names TreeRoot/p, and is refused when the slot has no such entry (see the slot
	// rule in slotrule.go).
	TreeRoot string
	// Permissions for the descriptor and metadata. 0: the mode of Path, or 0600 for a Reader.
	Permissions fs.FileMode
}

// Result describes a written package.
type Result struct {
	Path string
	Size int64
	// SHA256 is the SHA-256 of the whole file, computed from the bytes as they were written.
	SHA256      [32]byte
	Index       Index
	Metadata    *Metadata
	Descriptors []Descriptor
	PublicKey   ed25519.PublicKey
}

// slotOutput is what encoding one slot produced.
type slotOutput struct {
	rel      int64 // offset inside the slot area
	size     int64
	original int64
	sum      [32]byte
	chain    ops.Chain
	perm     fs.FileMode
	source   string
	target   string
}

// Write writes the package described by spec to path: launcher, gzip metadata at launcher_size,
// 8-aligned slot table and slots, trailer last. It writes a temporary file in path's directory,
// fsyncs it and renames it into place, so path is either the old file or the complete new one.
// WithSigner is required. The same spec, key and source date epoch give byte-identical files.
func Write(ctx context.Context, path string, spec Spec, opts ...Option) (*Result, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.signer == nil {
		return nil, fmt.Errorf("writing %s: no signing key (use WithSigner with KeyFromSeed, GenerateKey or keys.LoadSigningKey): %w", path, ErrInvalidInput)
	}
	if err := spec.validate(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	epoch, err := o.sourceDateEpoch()
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if _, err := RemoveLeftovers(dir, base, false); err != nil {
		o.logger.Warn("leftovers of a killed pack stay", "err", err)
	}
	spool, err := os.CreateTemp(dir, "."+base+".*.slots")
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() { spool.Close(); os.Remove(spool.Name()) }()
	if err := holdWorkingFile(spool); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}

	outs, spoolLen, err := encodeSlots(ctx, spool, spec.Slots, epoch, o)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	descs, meta, err := describe(spec, outs, epoch)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	js, err := meta.encode()
	if err != nil {
		return nil, fmt.Errorf("writing %s: encoding metadata: %w", path, err)
	}
	if len(js) >= MaxMetadataJSON {
		return nil, fmt.Errorf("writing %s: metadata JSON is %d bytes, it must stay under %d: %w", path, len(js), MaxMetadataJSON, ErrInvalidInput)
	}
	meta.raw = js
	sig, pub, err := sign(o.signer, js)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	gz, err := gzipBytes(js)
	if err != nil {
		return nil, fmt.Errorf("writing %s: compressing metadata: %w", path, err)
	}

	// Layout: launcher | metadata | pad | table | slot area (copied from the spool) | trailer.
	launcherSize := int64(len(spec.Launcher))
	tableOff := alignUp(launcherSize + int64(len(gz)))
	slotBase := tableOff + int64(DescriptorSize*len(descs))
	table := make([]byte, 0, DescriptorSize*len(descs))
	for i := range descs {
		descs[i].Offset = uint64(slotBase + outs[i].rel)
		table = descs[i].appendBinary(table)
	}
	idx := Index{
		FormatVersion:    FormatVersion,
		PackageSize:      uint64(slotBase + spoolLen + TrailerSize),
		LauncherSize:     uint64(launcherSize),
		MetadataOffset:   uint64(launcherSize),
		MetadataSize:     uint64(len(gz)),
		SlotTableOffset:  uint64(tableOff),
		SlotTableSize:    uint64(len(table)),
		SlotCount:        uint32(len(descs)),
		MetadataChecksum: sha256.Sum256(gz),
	}
	copy(idx.PublicKey[:], pub)
	copy(idx.Signature[:], sig)
	rawIdx, _ := idx.MarshalBinary()
	idx, _ = ParseIndex(rawIdx)

	o.report(progress.Event{Stage: StageAssemble})
	head := [][]byte{spec.Launcher, gz, make([]byte, tableOff-launcherSize-int64(len(gz))), table}
	sum, err := writeAtomically(path, head, spool, spoolLen, MarshalTrailer(rawIdx))
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	o.report(progress.Event{Stage: StageDone, Done: int64(idx.PackageSize), Total: int64(idx.PackageSize)})
	o.logger.Debug("wrote package", "path", path, "size", idx.PackageSize, "slots", len(descs))
	return &Result{Path: path, Size: int64(idx.PackageSize), SHA256: sum, Index: idx, Metadata: meta, Descriptors: descs, PublicKey: pub}, nil
}

func (s Spec) validate() error {
	switch {
	case len(s.Launcher) == 0:
		return fmt.Errorf("no launcher bytes: %w", ErrInvalidInput)
	case s.Name == "" || s.Version == "":
		return fmt.Errorf("package name and version are required: %w", ErrInvalidInput)
	case strings.TrimSpace(s.Execution.Command) == "":
		return fmt.Errorf("execution command is empty: %w", ErrInvalidInput)
	case len(s.Slots) > 0 && (s.Execution.PrimarySlot < 0 || s.Execution.PrimarySlot >= len(s.Slots)):
		return fmt.Errorf("primary slot %d out of range (%d slots): %w", s.Execution.PrimarySlot, len(s.Slots), ErrInvalidInput)
	}
	for k := range s.Execution.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("environment name %q is not valid: %w", k, ErrInvalidInput)
		}
	}
	ids := map[string]bool{}
	for i, sl := range s.Slots {
		switch {
		case sl.ID == "":
			return fmt.Errorf("slot %d has no id: %w", i, ErrInvalidInput)
		case ids[sl.ID]:
			return fmt.Errorf("slot %d: id %q is used twice: %w", i, sl.ID, ErrInvalidInput)
		case (sl.Path == "") == (sl.Reader == nil):
			return fmt.Errorf("slot %d (%s): set exactly one of Path and Reader: %w", i, sl.ID, ErrInvalidInput)
		}
		ids[sl.ID] = true
		if err := sl.Operations.Validate(); err != nil {
			return fmt.Errorf("slot %d (%s): %w: %w", i, sl.ID, err, ErrInvalidInput)
		}
		if _, err := ParsePurpose(sl.Purpose); err != nil {
			return fmt.Errorf("slot %d (%s): %w", i, sl.ID, err)
		}
		if _, err := ParseLifecycle(sl.Lifecycle); err != nil {
			return fmt.Errorf("slot %d (%s): %w", i, sl.ID, err)
		}
	}
	return nil
}

// describe builds the descriptors (offsets still zero) and the metadata.
func describe(spec Spec, outs []slotOutput, epoch *time.Time) ([]Descriptor, *Metadata, error) {
	descs := make([]Descriptor, len(outs))
	infos := make([]SlotInfo, len(outs))
	pins := make([]string, len(outs))
	for i, out := range outs {
		sl := spec.Slots[i]
		packed, err := out.chain.Pack()
		if err != nil {
			return nil, nil, err
		}
		purpose, _ := ParsePurpose(sl.Purpose)
		lifecycle, _ := ParseLifecycle(sl.Lifecycle)
		perm := uint16(tarMode(out.perm))
		descs[i] = Descriptor{
			ID: uint64(i), NameHash: NameHash(sl.ID), Size: uint64(out.size), OriginalSize: uint64(out.original),
			Operations: packed, Checksum: ChecksumPrefix(out.sum), Purpose: purpose, Lifecycle: lifecycle,
			Priority: sl.Priority, Permissions: perm,
		}
		pin, _ := descs[i].MarshalBinary()
		pins[i] = hex.EncodeToString(pin)
		infos[i] = SlotInfo{
			Slot: i, ID: sl.ID, Source: out.source, Target: out.target, Size: out.size,
			Checksum: FormatSHA256(out.sum), Operations: out.chain.String(),
			Purpose: labelOr(sl.Purpose, "data"), Lifecycle: labelOr(sl.Lifecycle, "runtime"),
			Permissions: Perm(perm), Priority: int(sl.Priority), Platform: platformLabel(sl.Platform),
		}
	}
	env := map[string]string{}
	for k, v := range spec.Execution.Env {
		env[k] = v
	}
	exec := spec.Execution
	exec.Env, exec.Environment = env, env
	exec.Args = append([]string(nil), exec.Args...)
	launcherSum := sha256.Sum256(spec.Launcher)
	m := &Metadata{
		Format:        FormatName,
		FormatVersion: "1.0.0",
		Package:       PackageInfo{Name: spec.Name, Version: spec.Version, Description: spec.Description},
		Slots:         infos,
		Execution:     exec,
		Runtime:       &Runtime{Env: normalizeRuntimeEnv(spec.Runtime)},
		Workenv:       spec.Workenv,
		SetupCommands: spec.SetupCommands,
		Verification: &Verification{IntegritySeal: IntegritySeal{Required: true, Algorithm: "ed25519"},
			Signed: true, RequireVerification: true},
		Build: &BuildInfo{Tool: "flavor", ToolVersion: spec.ToolVersion, Deterministic: true},
		Integrity: &Integrity{LauncherSize: int64(len(spec.Launcher)), LauncherSHA256: FormatSHA256(launcherSum),
			Descriptors: pins},
	}
	if m.Slots == nil {
		m.Slots = []SlotInfo{}
	}
	if epoch != nil {
		m.Build.Timestamp = epoch.UTC().Format(time.RFC3339)
	}
	if len(spec.Extra) > 0 {
		m.Extra = map[string]json.RawMessage{}
		for k, v := range spec.Extra {
			b, err := marshalNoEscape(v)
			if err != nil {
				return nil, nil, fmt.Errorf("encoding extra metadata %q: %w", k, err)
			}
			m.Extra[k] = b
		}
	}
	return descs, m, nil
}

func labelOr(s, def string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return def
	}
	return s
}

func platformLabel(s string) string {
	if s = strings.TrimSpace(s); strings.EqualFold(s, "any") {
		return ""
	}
	return s
}

func normalizeRuntimeEnv(r RuntimeEnv) RuntimeEnv {
	out := RuntimeEnv{
		Unset: append([]string{}, r.Unset...), Pass: append([]string{}, r.Pass...),
		Map: map[string]string{}, Set: map[string]string{},
	}
	for k, v := range r.Map {
		out.Map[k] = v
	}
	for k, v := range r.Set {
		out.Set[k] = v
	}
	return out
}

func sign(s crypto.Signer, msg []byte) (sig []byte, pub ed25519.PublicKey, err error) {
	pub = s.Public().(ed25519.PublicKey)
	sig, err = s.Sign(rand.Reader, msg, crypto.Hash(0))
	if err != nil {
		return nil, nil, fmt.Errorf("signing metadata: %w", err)
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, msg, sig) {
		return nil, nil, fmt.Errorf("signing metadata: the signer returned a signature that does not verify: %w", ErrBadSignature)
	}
	return sig, pub, nil
}

// gzipBytes compresses b as one gzip member with a zero header (mtime 0, no name): ops' gzip
// encoder, so the launcher (which links this package but writes nothing) does not link one.
func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := ops.NewWriter(ops.Gzip, &buf, 1)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func alignUp(n int64) int64 { return (n + Alignment - 1) &^ (Alignment - 1) }

// writeAtomically writes the pieces of head, the first n bytes of spool and trailer into a
// temporary file next to path, fsyncs it, makes it executable and renames it over path, and
// returns the SHA-256 of what it wrote. The slot bytes go from the spool to the file inside the
// kernel (copy_file_range on Linux); meanwhile another goroutine hashes head, spool and trailer
// from memory and the page cache, so the hash costs no wall time beyond the copy and the fsync.
func writeAtomically(path string, head [][]byte, spool *os.File, n int64, trailer []byte) (sum [32]byte, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return sum, err
	}
	if err := holdWorkingFile(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return sum, err
	}
	hashed := make(chan error, 1)
	go func() {
		h := sha256.New()
		for _, b := range head {
			h.Write(b)
		}
		_, err := io.CopyBuffer(h, io.NewSectionReader(spool, 0, n), make([]byte, 1<<20))
		h.Write(trailer)
		h.Sum(sum[:0])
		hashed <- err
	}()
	defer func() {
		if herr := <-hashed; err == nil && herr != nil {
			err = fmt.Errorf("hashing the slot data: %w", herr)
		}
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	for _, b := range head {
		if _, err := tmp.Write(b); err != nil {
			return sum, err
		}
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return sum, err
	}
	// *os.File to *os.File: copy_file_range on Linux, so the slot bytes stay in the kernel.
	if copied, err := io.Copy(tmp, io.LimitReader(spool, n)); err != nil {
		return sum, err
	} else if copied != n {
		return sum, fmt.Errorf("copying slot data: %d of %d bytes", copied, n)
	}
	if _, err := tmp.Write(trailer); err != nil {
		return sum, err
	}
	if err := tmp.Chmod(0o755); err != nil {
		return sum, err
	}
	if err := tmp.Sync(); err != nil {
		return sum, err
	}
	if err := tmp.Close(); err != nil {
		return sum, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return sum, err
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable; best effort
		d.Sync()
		d.Close()
	}
	return sum, nil
}
