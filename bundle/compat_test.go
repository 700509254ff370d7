package bundle

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/adler32"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/specs/manifest"
)

// checkSection13 checks a package file against every writer rule of pspf-2025.md §13, reading
// the bytes itself (not through packer's reader), and returns the rules it breaks.
func checkSection13(file, launcher []byte) []string {
	var bad []string
	fail := func(rule int, format string, args ...any) {
		bad = append(bad, fmt.Sprintf("§13.%d: %s", rule, fmt.Sprintf(format, args...)))
	}
	u64 := func(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
	n := len(file)
	if n < 8200+len(launcher) {
		return []string{"file too short"}
	}
	// 8. trailer last.
	tr := file[n-8200:]
	if !bytes.Equal(tr[:4], []byte{0xF0, 0x9F, 0x93, 0xA6}) || !bytes.Equal(tr[8196:], []byte{0xF0, 0x9F, 0xAA, 0x84}) {
		fail(8, "trailer magic missing")
		return bad
	}
	idx := tr[4:8196]
	// 7. index.
	if v := binary.LittleEndian.Uint32(idx); v != 0x20250001 {
		fail(7, "format_version %#x", v)
	}
	if u64(idx, 8) != uint64(n) {
		fail(7, "package_size %d, file is %d", u64(idx, 8), n)
	}
	zeroed := bytes.Clone(idx)
	copy(zeroed[4:8], []byte{0, 0, 0, 0})
	if got := binary.LittleEndian.Uint32(idx[4:]); got != adler32.Checksum(zeroed) {
		fail(7, "index Adler-32 %#x, want %#x", got, adler32.Checksum(zeroed))
	}
	if binary.LittleEndian.Uint32(idx[60:]) != 0 {
		fail(7, "flags not zero")
	}
	if bytes.Count(idx[192:], []byte{0}) != len(idx)-192 {
		fail(7, "unused index bytes 192..8192 are not all zero")
	}
	// 1. launcher first and unchanged.
	if u64(idx, 16) != uint64(len(launcher)) || !bytes.Equal(file[:len(launcher)], launcher) {
		fail(1, "launcher prefix or launcher_size wrong")
	}
	// 2. metadata.
	mOff, mSize := u64(idx, 24), u64(idx, 32)
	if mOff+mSize > uint64(n) {
		fail(2, "metadata out of bounds")
		return bad
	}
	gz := file[mOff : mOff+mSize]
	if sum := sha256.Sum256(gz); !bytes.Equal(sum[:], idx[96:128]) {
		fail(2, "metadata_checksum is not SHA-256 of the gzip bytes")
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		fail(2, "metadata is not gzip: %v", err)
		return bad
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		fail(2, "metadata gzip: %v", err)
		return bad
	}
	if len(js) >= 1<<20 {
		fail(2, "metadata JSON is %d bytes", len(js))
	}
	if !ed25519.Verify(ed25519.PublicKey(idx[64:96]), js, idx[128:192]) {
		fail(2, "signature at 128 does not verify the JSON with the key at 64")
	}
	var md struct {
		Format  *string `json:"format"`
		Package *struct {
			Name, Version *string
		} `json:"package"`
		Slots []map[string]any `json:"slots"`
		Exec  *struct {
			Primary     *int               `json:"primary_slot"`
			Command     *string            `json:"command"`
			Env         *map[string]string `json:"env"`
			Environment *map[string]string `json:"environment"`
		} `json:"execution"`
		Runtime *struct {
			Env *struct {
				Unset *[]string          `json:"unset"`
				Pass  *[]string          `json:"pass"`
				Map   *map[string]string `json:"map"`
				Set   *map[string]string `json:"set"`
			} `json:"env"`
		} `json:"runtime"`
	}
	if err := json.Unmarshal(js, &md); err != nil {
		fail(2, "metadata JSON: %v", err)
		return bad
	}
	switch {
	case md.Format == nil || *md.Format != "PSPF/2025", md.Package == nil || md.Package.Name == nil || md.Package.Version == nil:
		fail(2, "format or package{name,version} missing")
	case md.Exec == nil || md.Exec.Command == nil:
		fail(2, "execution.command missing")
	case md.Runtime == nil || md.Runtime.Env == nil || md.Runtime.Env.Unset == nil || md.Runtime.Env.Pass == nil ||
		md.Runtime.Env.Map == nil || md.Runtime.Env.Set == nil:
		fail(2, "runtime.env{unset,pass,map,set} missing")
	}
	// 9. env under both names, primary_slot.
	if md.Exec == nil || md.Exec.Env == nil || md.Exec.Environment == nil || md.Exec.Primary == nil {
		fail(9, "execution.env, execution.environment and primary_slot must all be present")
	}
	// 10. command starts with an interpreter found on PATH.
	if md.Exec != nil && md.Exec.Command != nil {
		first := strings.Fields(*md.Exec.Command)[0]
		if strings.Contains(first, "{") || strings.HasPrefix(first, "/") {
			fail(10, "command starts with %q, not an interpreter on PATH", first)
		} else if _, err := exec.LookPath(first); err != nil {
			fail(10, "command interpreter %q is not on PATH", first)
		}
	}
	// 3. slot table.
	tOff, tSize, count := u64(idx, 40), u64(idx, 48), uint64(binary.LittleEndian.Uint32(idx[56:]))
	if tOff%8 != 0 || tSize != 64*count || tOff+tSize > uint64(n) {
		fail(3, "slot table at %d size %d for %d slots", tOff, tSize, count)
		return bad
	}
	if len(md.Slots) != int(count) {
		fail(2, "metadata lists %d slots, table %d", len(md.Slots), count)
		return bad
	}
	for i := uint64(0); i < count; i++ {
		d := file[tOff+64*i : tOff+64*i+64]
		off, size, ops, sum := u64(d, 16), u64(d, 24), u64(d, 40), u64(d, 48)
		if off%8 != 0 || off+size > uint64(n-8200) {
			fail(4, "slot %d at %d size %d", i, off, size)
			continue
		}
		stored := file[off : off+size]
		full := sha256.Sum256(stored)
		if binary.LittleEndian.Uint64(full[:8]) != sum {
			fail(4, "slot %d descriptor checksum", i)
		}
		for _, key := range []string{"slot", "id", "source", "target", "size", "checksum", "operations", "purpose", "lifecycle"} {
			if _, ok := md.Slots[i][key]; !ok {
				fail(2, "slot %d has no %q", i, key)
			}
		}
		if md.Slots[i]["checksum"] != fmt.Sprintf("sha256:%x", full) {
			fail(2, "slot %d JSON checksum", i)
		}
		if size < 16 {
			fail(6, "slot %d stores %d bytes", i, size)
		}
		target, _ := md.Slots[i]["target"].(string)
		decoded := stored
		switch ops {
		case 0x0, 0x01:
		case 0x10, 0x1001:
			zr, err := gzip.NewReader(bytes.NewReader(stored))
			if err == nil {
				decoded, err = io.ReadAll(zr)
			}
			if err != nil {
				fail(5, "slot %d is not gzip: %v", i, err)
				continue
			}
		default:
			fail(5, "slot %d uses operations %#x; only 0, 0x10, 0x01 and 0x1001 are portable", i, ops)
			continue
		}
		isTar := ops&0xff == 0x01
		switch {
		case isTar && (len(decoded) < 262 || string(decoded[257:262]) != "ustar"):
			fail(5, "slot %d is a tar chain but not a ustar/pax/gnu tar", i)
		case isTar && target != "{workenv}":
			fail(5, "tar slot %d has target %q, want {workenv}", i, target)
		case !isTar && (target == "" || strings.HasPrefix(target, "/") || strings.Contains(target, "{")):
			fail(5, "single-file slot %d has target %q, want a relative path", i, target)
		}
	}
	return bad
}

func TestPortablePackageKeepsSection13(t *testing.T) {
	m, err := manifest.Load(context.Background(), "../examples/local/flavor.toml")
	if err != nil {
		t.Fatal(err)
	}
	launcher, _ := fakeLauncher{}.Launcher(context.Background(), "linux/amd64")
	out := pack(t, m, WithPlatforms("linux/amd64"))[0]
	b, err := os.ReadFile(out.Path)
	if err != nil {
		t.Fatal(err)
	}
	if bad := checkSection13(b, launcher); len(bad) > 0 {
		t.Fatalf("examples/local breaks §13:\n%s", strings.Join(bad, "\n"))
	}

	// The checker itself must catch what breaks the rules: a zstd slot, a flipped index byte.
	t.Run("checker catches zstd", func(t *testing.T) {
		dir := writeFullProject(t)
		out := pack(t, loadManifest(t, dir, fullManifest), WithPlatforms("linux/amd64"))[0]
		b, _ := os.ReadFile(out.Path)
		if bad := strings.Join(checkSection13(b, launcher), "\n"); !strings.Contains(bad, "§13.5: slot 0 uses operations 0x1b01") {
			t.Fatalf("checker missed the zstd slot:\n%s", bad)
		}
	})
	t.Run("checker catches a flipped byte", func(t *testing.T) {
		c := bytes.Clone(b)
		c[len(c)-8200+4+700] ^= 1
		if bad := strings.Join(checkSection13(c, launcher), "\n"); !strings.Contains(bad, "§13.7: index Adler-32") {
			t.Fatalf("checker missed a flipped index byte:\n%s", bad)
		}
	})
}
