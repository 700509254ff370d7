package packer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/flavor-dev/flavor/ops"
)

// craftSlot is one slot of a hand-made package.
type craftSlot struct {
	id, target string
	content    []byte // decoded content (a tar stream when ops start with tar)
	ops        ops.Chain
	perm       uint16
	original   int64 // descriptor original_size; 0: the length of content
}

// craft describes a package laid out the way another builder lays it out.
type craft struct {
	gap      int          // zero bytes between launcher and metadata (Rust: 8192)
	align    int64        // slot alignment (Go/Rust 8, Python 1, page-aligned Python 4096)
	hints    func(*Index) // index profile
	envKey   string       // "env" (Rust) or "environment" (Go)
	mutate   func(m map[string]any)
	slots    []craftSlot
	unsigned bool
}

// build assembles the package bytes by hand, independently of Write.
func (c craft) build(t testing.TB) []byte {
	t.Helper()
	key := KeyFromSeed("test-seed")
	type stored struct {
		data []byte
		sum  [32]byte
	}
	var st []stored
	for _, s := range c.slots {
		var buf bytes.Buffer
		enc, err := encodeChain(&buf, s.ops, 1)
		if err != nil {
			t.Fatal(err)
		}
		enc.Write(s.content)
		enc.Close()
		st = append(st, stored{buf.Bytes(), sha256.Sum256(buf.Bytes())})
	}
	var slotsJSON []map[string]any
	for i, s := range c.slots {
		slotsJSON = append(slotsJSON, map[string]any{
			"slot": i, "id": s.id, "source": s.id, "target": s.target, "size": len(st[i].data),
			"checksum": FormatSHA256(st[i].sum), "operations": s.ops.String(), "purpose": "payload",
			"lifecycle": "runtime", "permissions": fmt.Sprintf("%04o", s.perm),
		})
	}
	m := map[string]any{
		"format": "PSPF/2025", "format_version": "1.0.0",
		"package": map[string]any{"name": "shaped", "version": "0.1.0"},
		"slots":   slotsJSON,
		"execution": map[string]any{"primary_slot": 0, "command": "sh {workenv}/run.sh",
			c.envKey: map[string]string{"SHAPE": "yes"}},
	}
	if c.mutate != nil {
		c.mutate(m)
	}
	js, _ := json.MarshalIndent(m, "", "  ")
	gz, _ := gzipBytes(js)

	out := append([]byte(nil), testLauncher...)
	out = append(out, make([]byte, c.gap)...)
	metaOff := len(out)
	out = append(out, gz...)
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	tableOff := len(out)
	out = append(out, make([]byte, 64*len(c.slots))...)
	var descs []Descriptor
	for i, s := range c.slots {
		for int64(len(out))%c.align != 0 {
			out = append(out, 0)
		}
		packed, _ := s.ops.Pack()
		original := uint64(len(s.content))
		if s.original != 0 {
			original = uint64(s.original)
		}
		descs = append(descs, Descriptor{ID: uint64(i), NameHash: NameHash(s.id), Offset: uint64(len(out)),
			Size: uint64(len(st[i].data)), OriginalSize: original, Operations: packed,
			Checksum: ChecksumPrefix(st[i].sum), Priority: 1, Lifecycle: LifecycleRuntime, Permissions: s.perm})
		out = append(out, st[i].data...)
	}
	for i, d := range descs {
		b, _ := d.MarshalBinary()
		copy(out[tableOff+64*i:], b)
	}
	x := Index{FormatVersion: FormatVersion, PackageSize: uint64(len(out) + TrailerSize),
		LauncherSize: uint64(len(testLauncher)), MetadataOffset: uint64(metaOff), MetadataSize: uint64(len(gz)),
		SlotTableOffset: uint64(tableOff), SlotTableSize: uint64(64 * len(c.slots)), SlotCount: uint32(len(c.slots)),
		MetadataChecksum: sha256.Sum256(gz)}
	copy(x.PublicKey[:], key.Public().(ed25519.PublicKey))
	if !c.unsigned {
		copy(x.Signature[:], ed25519.Sign(key, js))
	}
	if c.hints != nil {
		c.hints(&x)
	}
	idx, _ := x.MarshalBinary()
	return append(out, MarshalTrailer(idx)...)
}

func smallTar(t testing.TB) []byte {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"run.sh": "echo shaped\n", "lib/x.txt": "x"})
	var buf bytes.Buffer
	if _, err := TarDir(context.Background(), &buf, dir); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func rustHints(x *Index) {
	x.PageSize, x.Capabilities, x.Compatibility, x.ProtocolVersion = 4096, 0x81, FormatVersion, 1
}

func pythonHints(x *Index) {
	x.AccessMode, x.CacheStrategy, x.PageSize, x.MaxMemory, x.MinMemory = 2, 1, 4096, 134217728, 8388608
	x.StreamChunkSize, x.Capabilities, x.Compatibility, x.ProtocolVersion = 65536, 0x81, FormatVersion, 1
}

func TestForeignShapes(t *testing.T) {
	ctx := context.Background()
	tarball := smallTar(t)
	slots := []craftSlot{
		{"app", "{workenv}", tarball, ops.Chain{ops.Tar, ops.Gzip}, 0o600, 0},
		{"odd", "etc/odd.txt", []byte("thirty-seven bytes of slot content!!\n"), nil, 0o644, 0},
		{"cfg", "etc/cfg.txt", []byte("k = v\n"), ops.Chain{ops.Gzip}, 0o640, 0},
	}
	for _, tc := range []struct {
		name  string
		craft craft
	}{
		{"go: all-zero hints, environment only", craft{align: 8, envKey: "environment", slots: slots}},
		{"rust: 8 KiB gap, rust hints, env only", craft{gap: 8192, align: 8, hints: rustHints, envKey: "env", slots: slots}},
		{"python: unaligned slots, python hints", craft{align: 1, hints: pythonHints, envKey: "environment", slots: slots}},
		{"python: page-aligned", craft{align: 4096, envKey: "env", slots: slots,
			hints: func(x *Index) { pythonHints(x); x.Capabilities = 0x83 }}},
		{"extra keys from other builders", craft{align: 8, envKey: "env", slots: slots, mutate: func(m map[string]any) {
			m["launcher"] = map[string]any{"tool": "flavor-rs", "size": 1}
			m["compatibility"] = map[string]any{"min_format_version": "1.0.0"}
			m["workenv"] = map[string]any{"directories": []any{map[string]any{"path": "{workenv}/tmp", "mode": "0750"}}}
			m["setup_commands"] = []any{"echo hi", map[string]any{"type": "write_file", "path": "{workenv}/f", "content": "x", "mode": 420}}
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.craft.build(t)
			if tc.craft.align == 1 {
				p, err := NewPackage(ctx, bytes.NewReader(b), int64(len(b)))
				if err != nil {
					t.Fatal(err)
				}
				if d, _ := p.Descriptor(2); d.Offset%8 == 0 {
					t.Fatalf("test package is aligned by accident (slot 2 at %d)", d.Offset)
				}
			}
			path := filepath.Join(t.TempDir(), "shaped.psp")
			if err := os.WriteFile(path, b, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, lvl := range []Level{LevelStandard, LevelStrict} {
				if rep, err := Verify(ctx, path, WithLevel(lvl)); err != nil || len(rep.Warnings) > 0 {
					t.Fatalf("Verify at %s: %v %v", lvl, err, rep)
				}
			}
			p, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			m := p.Metadata()
			if m.Execution.Env["SHAPE"] != "yes" || m.Execution.Environment["SHAPE"] != "yes" {
				t.Fatalf("environment not found: %+v", m.Execution)
			}
			if p.Index().MetadataOffset != uint64(len(testLauncher)+tc.craft.gap) {
				t.Fatalf("metadata offset %d", p.Index().MetadataOffset)
			}
			dest := t.TempDir()
			if err := p.ExtractAll(ctx, dest); err != nil {
				t.Fatal(err)
			}
			sameTree(t, treeState(t, dest), map[string]string{
				"run.sh": "-rw-r--r--|echo shaped\n", "lib": "dir|drwxr-xr-x", "lib/x.txt": "-rw-r--r--|x",
				"etc": "dir|drwx------", "etc/odd.txt": "-rw-r--r--|thirty-seven bytes of slot content!!\n",
				"etc/cfg.txt": "-rw-r-----|k = v\n",
			})
			if tc.craft.mutate != nil {
				if m.Workenv == nil || len(m.Workenv.Directories) != 1 || m.Workenv.Directories[0].Mode != 0o750 ||
					len(m.SetupCommands) != 2 || m.SetupCommands[0].Command != "echo hi" ||
					m.SetupCommands[1].Mode == nil || *m.SetupCommands[1].Mode != 420 || m.Extra["compatibility"] == nil {
					t.Fatalf("sections not read: workenv %+v setup %+v extra %v", m.Workenv, m.SetupCommands, m.Extra)
				}
			}
		})
	}
}
