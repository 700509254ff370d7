package launcher

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/packer/keys"
)

// helloPackage runs "sh {workenv}/bin/hello", which prints "hello".
func helloPackage(t *testing.T) string {
	return writePackage(t, packer.Spec{
		Name:      "hello",
		Execution: packer.Execution{Command: "sh {workenv}/bin/hello"},
		Slots:     []packer.Slot{treeSlot(t, "app", files{"bin/hello": "#!/bin/sh\necho hello\n"})},
	})
}

// mutate copies the package and lets fn change its bytes; fixAdler recomputes the index
// checksum afterwards, so only the intended check fails.
func mutate(t *testing.T, pkg string, fixAdler bool, fn func(b []byte, idx int)) string {
	t.Helper()
	b, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	idx := len(b) - packer.TrailerSize + 4
	fn(b, idx)
	if fixAdler {
		binary.LittleEndian.PutUint32(b[idx+4:], packer.IndexChecksum(b[idx:idx+packer.IndexSize]))
	}
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if err := os.WriteFile(out, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestValidationLevels(t *testing.T) {
	pkg := helloPackage(t)
	badSig := mutate(t, pkg, true, func(b []byte, idx int) { b[idx+128] ^= 0xff })
	badAdler := mutate(t, pkg, false, func(b []byte, idx int) { b[idx+2000] ^= 0xff })
	p, err := packer.Open(t.Context(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	slotOff := int(must(p.Descriptor(0)).Offset)
	p.Close()
	badSlot := mutate(t, pkg, false, func(b []byte, _ int) { b[slotOff+20] ^= 0xff })

	type want struct {
		code   int    // 0: runs and prints hello
		stderr string // substring; "" means stderr must be empty
	}
	tests := []struct {
		pkg, level string
		want       want
	}{
		{badSig, "", want{104, "bad signature"}},
		{badSig, "strict", want{104, "bad signature"}},
		{badSig, "standard", want{104, "bad signature"}},
		{badSig, "relaxed", want{0, "warning: verifying signature"}},
		{badSig, "minimal", want{0, "warning: verifying signature"}},
		{badSig, "none", want{0, ""}},
		{badAdler, "standard", want{104, "index checksum mismatch"}},
		{badAdler, "relaxed", want{0, "warning: verifying index"}},
		{badAdler, "minimal", want{0, ""}},
		{badSlot, "standard", want{103, "slot checksum mismatch"}},
		{badSlot, "relaxed", want{103, "slot checksum mismatch"}},
		{badSlot, "minimal", want{103, "slot checksum mismatch"}},
		{pkg, "bogus", want{105, "FLAVOR_VALIDATION"}},
		{pkg, "STRICT", want{0, ""}},
	}
	for _, tt := range tests {
		name := filepath.Base(filepath.Dir(tt.pkg))
		switch tt.pkg {
		case badSig:
			name = "signature"
		case badAdler:
			name = "adler"
		case badSlot:
			name = "slot"
		case pkg:
			name = "intact"
		}
		t.Run(name+"/"+tt.level, func(t *testing.T) {
			r := newRunner(t, "FLAVOR_VALIDATION="+tt.level)
			res := r.run(tt.pkg, nil)
			if res.code != tt.want.code {
				t.Fatalf("exit %d, want %d\n%s", res.code, tt.want.code, res)
			}
			if (tt.want.code == 0) != (res.stdout == "hello\n") {
				t.Fatalf("the command ran = %v, want %v\n%s", res.stdout != "", tt.want.code == 0, res)
			}
			if tt.want.stderr == "" && res.stderr != "" || !strings.Contains(res.stderr, tt.want.stderr) {
				t.Fatalf("stderr %q, want it to contain %q", res.stderr, tt.want.stderr)
			}
		})
	}
}

func TestTrustedKeys(t *testing.T) {
	pkg := helloPackage(t)
	ours := hex.EncodeToString(testKey.Public().(ed25519.PublicKey))
	other := hex.EncodeToString(packer.KeyFromSeed("someone else").Public().(ed25519.PublicKey))
	dir := t.TempDir()
	pemFile := filepath.Join(dir, "ours.pem")
	pemBytes, err := keys.MarshalPublicKeyPEM(testKey.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pemFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	hexFile := filepath.Join(dir, "other.hex")
	if err := os.WriteFile(hexFile, []byte(other+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, keys string
		code       int
		stderr     string
	}{
		{"our hex key", ours, 0, ""},
		{"another key only", other, 104, "untrusted key"},
		{"list with ours second", other + "," + ours, 0, ""},
		{"our PEM file", pemFile, 0, ""},
		{"another key's file", hexFile, 104, "untrusted key"},
		{"PEM file and path-list separator", hexFile + string(os.PathListSeparator) + pemFile, 0, ""},
		{"unreadable entry", "not-a-key", 105, "FLAVOR_TRUSTED_KEYS"},
		{"blank names no key", "  ", 105, "names no key"},
		{"empty names no key", "", 105, "names no key"},
		{"separators only", ",", 105, "names no key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := newRunner(t, "FLAVOR_TRUSTED_KEYS="+tt.keys).run(pkg, nil)
			if res.code != tt.code || (tt.code == 0) != (res.stdout == "hello\n") || !strings.Contains(res.stderr, tt.stderr) {
				t.Fatalf("want exit %d with stderr containing %q, got %s", tt.code, tt.stderr, res)
			}
		})
	}
	// An untrusted signer is refused even at relaxed. Minimal and none do not check the signature
	// a pinned key relies on: with a pin they refuse to run at all, whoever signed.
	for _, tt := range []struct {
		level, keys string
		code        int
		stderr      string
	}{
		{"relaxed", other, 104, "untrusted key"},
		{"relaxed", ours, 0, ""},
		{"minimal", other, 105, "does not check the signature"},
		{"none", other, 105, "does not check the signature"},
		{"none", ours, 105, "FLAVOR_VALIDATION to relaxed or above"},
	} {
		res := newRunner(t, "FLAVOR_TRUSTED_KEYS="+tt.keys, "FLAVOR_VALIDATION="+tt.level).run(pkg, nil)
		if res.code != tt.code || !strings.Contains(res.stderr, tt.stderr) {
			t.Fatalf("key %s at %s: want exit %d with %q, got %s", tt.keys[:8], tt.level, tt.code, tt.stderr, res)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
