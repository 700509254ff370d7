package launcher

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

// Packages in the shapes FlavorPack's other builders write, hand-assembled byte by byte with our
// launcher as the prefix, and FlavorPack Go-built packages moved behind our launcher.

// foreignSlot is one slot's stored bytes and packed operations.
type foreignSlot struct {
	stored   []byte
	ops      uint64
	perm     uint16
	original uint64 // descriptor original_size; 0: the stored length, as FlavorPack's Go and Rust write it
}

// shape is how a builder lays a package out.
type shape struct {
	gap   int   // zero bytes between the launcher and the metadata (Rust: 8192)
	align int64 // slot alignment (Go/Rust: 8, Python: 1)
	hints func(*packer.Index)
}

func pad(b []byte, align int64) []byte {
	for int64(len(b))%align != 0 {
		b = append(b, 0)
	}
	return b
}

// assemble writes a package: launcher, gap, gzip metadata, slot table, slots, trailer.
func assemble(t *testing.T, js []byte, slots []foreignSlot, sh shape) string {
	t.Helper()
	out := append([]byte(nil), launcherBytes...)
	out = append(out, make([]byte, sh.gap)...)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(js)
	zw.Close()
	x := packer.Index{FormatVersion: packer.FormatVersion, LauncherSize: uint64(len(launcherBytes)),
		MetadataOffset: uint64(len(out)), MetadataSize: uint64(gz.Len()), SlotCount: uint32(len(slots)),
		SlotTableSize: uint64(64 * len(slots)), MetadataChecksum: sha256.Sum256(gz.Bytes())}
	out = pad(append(out, gz.Bytes()...), 8)
	x.SlotTableOffset = uint64(len(out))
	out = append(out, make([]byte, 64*len(slots))...)
	for i, s := range slots {
		out = pad(out, sh.align)
		sum := sha256.Sum256(s.stored)
		original := s.original
		if original == 0 {
			original = uint64(len(s.stored))
		}
		d := packer.Descriptor{ID: uint64(i), NameHash: packer.NameHash("slot"), Offset: uint64(len(out)),
			Size: uint64(len(s.stored)), OriginalSize: original, Operations: s.ops,
			Checksum: packer.ChecksumPrefix(sum), Priority: 1, Permissions: s.perm, Lifecycle: packer.LifecycleRuntime}
		db, _ := d.MarshalBinary()
		copy(out[int(x.SlotTableOffset)+64*i:], db)
		out = append(out, s.stored...)
	}
	x.PackageSize = uint64(len(out) + packer.TrailerSize)
	copy(x.PublicKey[:], testKey.Public().(ed25519.PublicKey))
	copy(x.Signature[:], ed25519.Sign(testKey, js))
	if sh.hints != nil {
		sh.hints(&x)
	}
	ib, _ := x.MarshalBinary()
	out = append(out, packer.MarshalTrailer(ib)...)
	path := filepath.Join(t.TempDir(), "foreign.psp")
	if err := os.WriteFile(path, out, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// tarGz is a tar.gz the way `tar -czf` makes it: "./" prefixes and a root entry.
func tarGz(t *testing.T, f map[string]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "./bin/", Typeflag: tar.TypeDir, Mode: 0o755})
	for name, content := range f {
		tw.WriteHeader(&tar.Header{Name: "./" + name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(content))})
		tw.Write([]byte(content))
	}
	tw.Close()
	return gzipped(buf.Bytes())
}

func sha(b []byte) string { return packer.FormatSHA256(sha256.Sum256(b)) }

func TestForeignShapes(t *testing.T) {
	app := tarGz(t, map[string]string{"bin/app.sh": "#!/bin/sh\necho \"app MODE=$MODE $*\"; cat \"$FLAVOR_WORKENV/conf/settings.txt\"\n"})
	settings := gzipped([]byte("color = blue\n"))
	slotsJSON := `"slots": [
    {"slot": 0, "id": "app", "source": "app.tar.gz", "target": "{workenv}", "size": ` + strconv.Itoa(len(app)) + `,
     "checksum": "` + sha(app) + `", "operations": "tgz", "purpose": "code", "lifecycle": "runtime"},
    {"slot": 1, "id": "settings", "source": "settings.txt.gz", "target": "conf/settings.txt", "size": ` + strconv.Itoa(len(settings)) + `,
     "checksum": "` + sha(settings) + `", "operations": "gzip", "purpose": "config", "lifecycle": "runtime"}
  ]`
	stored := []foreignSlot{{app, 0x1001, 0o755, 0}, {settings, 0x10, 0o644, 0}}
	tests := []struct {
		name  string
		js    string
		shape shape
	}{
		{"rust: 8 KiB gap, execution.env only, Rust hints", `{
  "format": "PSPF/2025", "format_version": "1.0.0",
  "package": {"name": "rusty", "version": "0.1.0"},
  ` + slotsJSON + `,
  "execution": {"primary_slot": 0, "command": "sh {workenv}/bin/app.sh --flag", "env": {"MODE": "rust"}},
  "launcher": {"tool": "flavor-rs-launcher", "tool_version": "0.3.0"},
  "compatibility": {"min_format_version": "2025.0.0", "features": []}
}`, shape{gap: 8192, align: 8, hints: func(x *packer.Index) {
			x.PageSize, x.Capabilities, x.Compatibility, x.ProtocolVersion = 4096, 0x81, packer.FormatVersion, 1
		}}},
		{"python: unaligned slots, execution.environment, Python hints", `{
  "format": "PSPF/2025", "format_version": "1.0.0",
  "package": {"name": "pythonic", "version": "0.2.0"},
  ` + slotsJSON + `,
  "execution": {"primary_slot": 0, "command": "sh {workenv}/bin/app.sh --flag", "environment": {"MODE": "python"}}
}`, shape{align: 1, hints: func(x *packer.Index) {
			x.AccessMode, x.CacheStrategy, x.PageSize, x.MaxMemory, x.MinMemory = 2, 1, 4096, 134217728, 8388608
			x.StreamChunkSize, x.Capabilities, x.Compatibility, x.ProtocolVersion = 65536, 0x81, packer.FormatVersion, 1
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkg := assemble(t, []byte(tt.js), stored, tt.shape)
			mode := "rust"
			if strings.HasPrefix(tt.name, "python") {
				mode = "python"
			}
			r := newRunner(t)
			want := "app MODE=" + mode + " --flag x\ncolor = blue\n"
			r.mustRun(pkg, want, nil, "x")
			r.mustRun(pkg, want, nil, "x")
		})
	}
}

// relocate moves a package built by FlavorPack behind our launcher: the bytes after its
// launcher prefix are kept, every absolute offset is shifted, and the index checksum recomputed.
// The signature covers only the metadata JSON, so it stays valid.
func relocate(t *testing.T, src string) string {
	t.Helper()
	old, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	x, err := packer.ParseIndex(old[len(old)-packer.TrailerSize+4 : len(old)-4])
	if err != nil {
		t.Fatal(err)
	}
	delta := uint64(len(launcherBytes)) - x.LauncherSize
	out := append(append([]byte(nil), launcherBytes...), old[x.LauncherSize:len(old)-packer.TrailerSize]...)
	for i := 0; i < int(x.SlotCount); i++ {
		at := int(x.SlotTableOffset+delta) + 64*i + 16
		binary.LittleEndian.PutUint64(out[at:], binary.LittleEndian.Uint64(out[at:])+delta)
	}
	raw := append([]byte(nil), old[len(old)-packer.TrailerSize+4:len(old)-4]...)
	le := binary.LittleEndian
	le.PutUint64(raw[8:], x.PackageSize+delta)
	le.PutUint64(raw[16:], uint64(len(launcherBytes)))
	le.PutUint64(raw[24:], x.MetadataOffset+delta)
	le.PutUint64(raw[40:], x.SlotTableOffset+delta)
	le.PutUint32(raw[4:], packer.IndexChecksum(raw))
	out = append(out, packer.MarshalTrailer(raw)...)
	path := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(path, out, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFlavorPackBuiltPackagesRun(t *testing.T) {
	dir := "../packer/testdata" // FlavorPack's Go builder output, see its README
	t.Run("single-raw", func(t *testing.T) {
		pkg := relocate(t, filepath.Join(dir, "single-raw.psp"))
		newRunner(t).mustRun(pkg, "hello from a FlavorPack-built slot: a b\n", nil, "a", "b")
	})
	t.Run("multi-slot", func(t *testing.T) {
		pkg := relocate(t, filepath.Join(dir, "multi-slot.psp"))
		r := newRunner(t)
		res := r.run(pkg, []string{"OLD_NAME=o", "DROP_ME=d", "KEEP_ME=k"}, "extra")
		if res.code != 0 {
			t.Fatal(res)
		}
		// app.sh prints MODE (execution.environment) and EXTRA (runtime.env.set), then the settings.
		if want := "app: MODE=prod EXTRA=x\ncolor = blue\nlevel = 3\n"; res.stdout != want {
			t.Fatalf("stdout %q, want %q", res.stdout, want)
		}
		we := r.workenvs()[0]
		b, err := os.ReadFile(filepath.Join(we, "conf", "settings.txt"))
		if err != nil || string(b) != "color = blue\nlevel = 3\n" {
			t.Fatalf("conf/settings.txt = %q, %v", b, err)
		}
	})
}
