package launcher

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/packer"
)

// checkPortable returns every rule of pspf-2025.md §13 (writer side) that the package at path
// breaks, given the launcher bytes it should start with. It reads the file with its own code,
// not packer's reader, so it checks packer's writer independently.
func checkPortable(path string, launcher []byte) []string {
	var bad []string
	fail := func(rule int, format string, a ...any) {
		bad = append(bad, fmt.Sprintf("§13.%d: ", rule)+fmt.Sprintf(format, a...))
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < packer.TrailerSize+len(launcher) {
		return []string{fmt.Sprintf("unreadable or too short: %v", err)}
	}
	le := binary.LittleEndian
	// 8. the trailer is the last 8200 bytes.
	tr := b[len(b)-packer.TrailerSize:]
	if !bytes.Equal(tr[:4], []byte{0xF0, 0x9F, 0x93, 0xA6}) || !bytes.Equal(tr[8196:], []byte{0xF0, 0x9F, 0xAA, 0x84}) {
		fail(8, "trailer magic missing")
		return bad
	}
	ix := tr[4:8196]
	// 7. index.
	if v := le.Uint32(ix[0:]); v != 0x20250001 {
		fail(7, "format_version 0x%08x", v)
	}
	if v := le.Uint64(ix[8:]); v != uint64(len(b)) {
		fail(7, "package_size %d, file is %d", v, len(b))
	}
	zeroed := append([]byte(nil), ix...)
	le.PutUint32(zeroed[4:], 0)
	if adler(zeroed) != le.Uint32(ix[4:]) {
		fail(7, "index Adler-32 wrong")
	}
	for i := 192; i < len(ix); i++ {
		if ix[i] != 0 {
			fail(7, "unused index byte %d is 0x%02x", i, ix[i])
			break
		}
	}
	if le.Uint32(ix[60:]) != 0 {
		fail(7, "flags not zero")
	}
	// 1. launcher first and unchanged.
	if !bytes.Equal(b[:len(launcher)], launcher) || le.Uint64(ix[16:]) != uint64(len(launcher)) {
		fail(1, "launcher prefix changed or launcher_size %d != %d", le.Uint64(ix[16:]), len(launcher))
	}
	// 2. metadata.
	mOff, mSize := le.Uint64(ix[24:]), le.Uint64(ix[32:])
	stored := b[mOff : mOff+mSize]
	if sum := sha256.Sum256(stored); !bytes.Equal(sum[:], ix[96:128]) {
		fail(2, "metadata_checksum is not SHA-256 of the gzip bytes")
	}
	zr, err := gzip.NewReader(bytes.NewReader(stored))
	if err != nil {
		fail(2, "metadata is not gzip: %v", err)
		return bad
	}
	js, _ := io.ReadAll(zr)
	if len(js) >= 1<<20 {
		fail(2, "JSON is %d bytes", len(js))
	}
	if !ed25519.Verify(ed25519.PublicKey(ix[64:96]), js, ix[128:192]) {
		fail(2, "signature over the JSON does not verify with the key at offset 64")
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		fail(2, "JSON: %v", err)
		return bad
	}
	get := func(path string) (any, bool) {
		var cur any = m
		for _, k := range strings.Split(path, ".") {
			o, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = o[k]; !ok {
				return nil, false
			}
		}
		return cur, true
	}
	for _, k := range []string{"format", "package.name", "package.version", "slots", "execution.primary_slot",
		"execution.command", "runtime.env.unset", "runtime.env.pass", "runtime.env.map", "runtime.env.set"} {
		if _, ok := get(k); !ok {
			fail(2, "portable key %s missing", k)
		}
	}
	// 9. env under both keys, primary_slot present.
	e1, ok1 := get("execution.env")
	e2, ok2 := get("execution.environment")
	if !ok1 || !ok2 || fmt.Sprint(e1) != fmt.Sprint(e2) {
		fail(9, "execution.env and execution.environment must both hold the environment")
	}
	// 10. the command starts with an interpreter found on PATH.
	cmd, _ := get("execution.command")
	first := strings.Fields(fmt.Sprint(cmd) + " ")[0]
	if strings.HasPrefix(first, "{workenv}") {
		fail(10, "command starts with a workenv path %q", first)
	} else if _, err := exec.LookPath(first); err != nil {
		fail(10, "command's first word %q is not on PATH", first)
	}
	// 3. slot table.
	tOff, tSize, n := le.Uint64(ix[40:]), le.Uint64(ix[48:]), int(le.Uint32(ix[56:]))
	if tOff%8 != 0 || tSize != uint64(64*n) {
		fail(3, "slot table at %d (size %d) for %d slots", tOff, tSize, n)
	}
	slots, _ := m["slots"].([]any)
	if len(slots) != n {
		fail(2, "metadata lists %d slots, the table %d", len(slots), n)
		return bad
	}
	for i := 0; i < n; i++ {
		d := b[tOff+uint64(64*i):]
		off, size, ops, sum := le.Uint64(d[16:]), le.Uint64(d[24:]), le.Uint64(d[40:]), le.Uint64(d[48:])
		sl, _ := slots[i].(map[string]any)
		for _, k := range []string{"slot", "id", "source", "target", "size", "checksum", "operations", "purpose", "lifecycle"} {
			if _, ok := sl[k]; !ok {
				fail(2, "slot %d: portable key %s missing", i, k)
			}
		}
		if sl["source"] == "$SELF" {
			fail(6, "slot %d is $SELF", i)
		}
		// 4. slot data.
		if off%8 != 0 || off+size > uint64(len(b)-packer.TrailerSize) {
			fail(4, "slot %d at %d size %d", i, off, size)
			continue
		}
		data := b[off : off+size]
		full := sha256.Sum256(data)
		if le.Uint64(full[:8]) != sum || sl["checksum"] != "sha256:"+fmt.Sprintf("%x", full) {
			fail(4, "slot %d checksum", i)
		}
		if js, ok := sl["size"].(float64); !ok || uint64(js) != size {
			fail(4, "slot %d: metadata size %v, descriptor %d", i, sl["size"], size)
		}
		// 6. at least 16 stored bytes.
		if size < 16 {
			fail(6, "slot %d stores %d bytes", i, size)
		}
		// 5. portable operations and targets.
		target := fmt.Sprint(sl["target"])
		switch ops {
		case 0x01, 0x1001:
			if target != "{workenv}" {
				fail(5, "tar slot %d targets %q", i, target)
			}
			if ops == 0x1001 {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					fail(5, "slot %d is not gzip", i)
					continue
				}
				data, _ = io.ReadAll(zr)
			}
			if len(data) < 263 || string(data[257:262]) != "ustar" {
				fail(5, "slot %d is not a ustar/pax/gnu tar", i)
			}
		case 0x00, 0x10:
			if target == "" || target == "." || strings.HasPrefix(target, "/") || strings.Contains(target, "{workenv}") {
				fail(5, "single-file slot %d target %q is not relative", i, target)
			}
		default:
			fail(5, "slot %d uses operations 0x%x", i, ops)
		}
	}
	return bad
}

func adler(b []byte) uint32 {
	const mod = 65521
	a, s := uint32(1), uint32(0)
	for _, c := range b {
		a = (a + uint32(c)) % mod
		s = (s + a) % mod
	}
	return s<<16 | a
}

// portableSpec uses only operations every FlavorPack launcher decodes.
func portableSpec(t *testing.T) packer.Spec {
	dir := files{"cfg.txt": "a setting that is long enough\n", "tiny": "x\n"}.write(t, t.TempDir())
	return packer.Spec{
		Launcher:  launcherBytes,
		Name:      "portable",
		Version:   "1.0.0",
		Execution: packer.Execution{Command: "sh {workenv}/bin/hello", Env: map[string]string{"K": "v"}},
		Runtime:   packer.RuntimeEnv{Unset: []string{"DROP"}, Pass: []string{"PATH"}},
		Slots: []packer.Slot{
			{ID: "app", Source: "app/", Path: files{"bin/hello": "#!/bin/sh\necho portable\n"}.write(t, t.TempDir()), Operations: ops.Chain{ops.Tar, ops.Gzip}},
			{ID: "plain", Source: "plain/", Path: files{"bin/": ""}.write(t, t.TempDir()), Operations: ops.Chain{ops.Tar}},
			{ID: "cfg", Path: dir + "/cfg.txt", Target: "conf/cfg.txt"},
			{ID: "tiny", Path: dir + "/tiny", Target: "conf/tiny", Operations: ops.Chain{ops.Gzip}},
		},
	}
}

func TestWrittenPackageIsPortable(t *testing.T) {
	epoch := packer.WithSourceDateEpoch(time.Unix(1700000000, 0))
	spec := portableSpec(t)
	a := writePackage(t, spec, epoch)
	if bad := checkPortable(a, launcherBytes); len(bad) > 0 {
		t.Fatalf("package breaks §13:\n%s", strings.Join(bad, "\n"))
	}
	// §13.11: same inputs, key and epoch give the same bytes.
	b := writePackage(t, portableSpec(t), epoch)
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Fatal("§13.11: two writes of the same inputs differ")
	}
	newRunner(t).mustRun(a, "portable\n", nil)
}

// TestPortableCheckerCatches shows the checker is not a rubber stamp: each broken package breaks
// the rule it should.
func TestPortableCheckerCatches(t *testing.T) {
	good := writePackage(t, portableSpec(t))
	zstd := portableSpec(t)
	zstd.Slots[0].Operations = ops.Chain{ops.Tar, ops.Zstd}
	workenvCmd := portableSpec(t)
	workenvCmd.Execution.Command = "{workenv}/bin/hello"
	tests := []struct {
		name string
		path string
		rule string
	}{
		{"zstd slot", writePackage(t, zstd), "§13.5"},
		{"workenv command", writePackage(t, workenvCmd), "§13.10"},
		{"flipped metadata byte", mutate(t, good, false, func(b []byte, _ int) { b[len(launcherBytes)+1] ^= 1 }), "§13.2"},
		{"nonzero reserved index byte", mutate(t, good, true, func(b []byte, idx int) { b[idx+5000] = 1 }), "§13.7"},
		{"appended byte", appendByte(t, good), "§13.8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := checkPortable(tt.path, launcherBytes)
			if !strings.Contains(strings.Join(bad, "\n"), tt.rule) {
				t.Fatalf("want a %s violation, got %q", tt.rule, bad)
			}
		})
	}
}

func appendByte(t *testing.T, pkg string) string {
	b, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	out := pkg + ".appended"
	if err := os.WriteFile(out, append(b, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}
