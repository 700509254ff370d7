package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/packer/keys"
)

// damaged writes a copy of psp with one byte flipped at the offset where(p) returns, or cut to
// size when where returns a negative offset.
func damaged(t *testing.T, psp string, where func(p *packer.Package) int64) string {
	t.Helper()
	p, err := packer.Open(context.Background(), psp)
	if err != nil {
		t.Fatal(err)
	}
	off := where(p)
	p.Close()
	b, err := os.ReadFile(psp)
	if err != nil {
		t.Fatal(err)
	}
	if off < 0 {
		b = b[:int64(len(b))+off]
	} else {
		b[off] ^= 0x40
	}
	out := filepath.Join(t.TempDir(), "damaged.psp")
	if err := os.WriteFile(out, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// hostilePackage writes a package whose tar slot holds an entry escaping the workenv.
func hostilePackage(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "../escape.txt", Mode: 0o644, Size: 4, Typeflag: tar.TypeReg})
	tw.Write([]byte("evil"))
	tw.Close()
	launcherBytes, err := os.ReadFile(launcherBin)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hostile.psp")
	_, err = packer.Write(context.Background(), path, packer.Spec{
		Launcher: launcherBytes, Name: "hostile", Version: "1", Execution: packer.Execution{Command: "sh"},
		Slots: []packer.Slot{{ID: "evil", Reader: &buf, Operations: ops.Chain{ops.Tar, ops.Gzip}}},
	}, packer.WithSigner(packer.KeyFromSeed("test123")), packer.WithoutSlotRule())
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVerify(t *testing.T) {
	psp := packExample(t)
	keyDir := t.TempDir()
	if err := keys.WriteKeyPair(keyDir, packer.KeyFromSeed("test123")); err != nil {
		t.Fatal(err)
	}
	other := "3cf9469205ba8dfccfd606c3eef6550016852c61d1e3594e2058433e841c98c9" // seed test-seed
	slotByte := func(p *packer.Package) int64 { d, _ := p.Descriptor(0); return int64(d.Offset) + 10 }
	cases := []struct {
		name   string
		args   []string
		env    string // FLAVOR_TRUSTED_KEYS
		code   int
		stdout string
	}{
		{"good", []string{psp}, "", 0, ": OK (level standard, 5 slots, key " + seedPub + " (not checked against a trusted key"},
		{"deep", []string{psp, "--deep"}, "", 0, ": OK (level standard, 5 slots, key " + seedPub + " (not checked against a trusted key: give --public-key))\n" +
			"  deep: unpacked 5 slots with the launcher's extraction checks into a temporary directory (removed): 5 files, "},
		{"trusted hex key", []string{psp, "--public-key", seedPub}, "", 0, "trusted key " + seedPub},
		{"trusted key file", []string{psp, "-k", filepath.Join(keyDir, keys.PublicKeyFile)}, "", 0, "trusted key " + seedPub},
		{"trusted by FLAVOR_TRUSTED_KEYS", []string{psp}, seedPub, 0, "trusted key " + seedPub},
		{"untrusted key", []string{psp, "--public-key", other}, "", 2, "FAILED trust check"},
		{"untrusted by FLAVOR_TRUSTED_KEYS", []string{psp}, other, 2, "FAILED trust check"},
		{"slot byte flipped", []string{damaged(t, psp, slotByte)}, "", 2, "FAILED slot checksums check"},
		{"SBOM byte flipped", []string{damaged(t, psp, func(p *packer.Package) int64 { d, _ := p.Descriptor(2); return int64(d.Offset + d.Size/2) })}, "", 2, "FAILED slot checksums check"},
		{"index byte flipped", []string{damaged(t, psp, func(p *packer.Package) int64 { return p.Size() - 8196 + 2000 })}, "", 2, "FAILED index checksum check"},
		{"metadata byte flipped", []string{damaged(t, psp, func(p *packer.Package) int64 { return int64(p.Index().MetadataOffset) + 20 })}, "", 2, "FAILED metadata checksum check"},
		{"launcher byte flipped", []string{damaged(t, psp, func(*packer.Package) int64 { return 1000 })}, "", 2, "FAILED launcher checksum check"},
		{"truncated", []string{damaged(t, psp, func(*packer.Package) int64 { return -100 })}, "", 2, "FAILED trailer check"},
		{"hostile entry, shallow", []string{hostilePackage(t)}, "", 2, `FAILED slot contents check (level standard): checking the entries of slot 0 (evil)`},
		{"hostile entry, deep", []string{hostilePackage(t), "--deep"}, "", 2, `FAILED slot contents check (level standard): checking the entries of slot 0 (evil)`},
		{"hostile entry, deep, names the entry", []string{hostilePackage(t), "--deep"}, "", 2, `entry "../escape.txt": "../escape.txt" has a ".." component`},
		{"missing file", []string{filepath.Join(t.TempDir(), "none.psp")}, "", 1, "FAILED read check"},
		{"relaxed lets a flipped index byte through", []string{damaged(t, psp, func(p *packer.Package) int64 { return p.Size() - 8196 + 2000 }), "--validation", "relaxed"}, "", 0, "warning: index checksum"},
		{"two packages, one bad", []string{psp, damaged(t, psp, slotByte)}, "", 2, "FAILED slot checksums check"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("FLAVOR_TRUSTED_KEYS", tc.env)
			if tc.env == "" {
				os.Unsetenv("FLAVOR_TRUSTED_KEYS")
			}
			stdout, stderr, code := runApp(t, append([]string{"verify"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) {
				t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d and %q", code, stdout, stderr, tc.code, tc.stdout)
			}
			if deep := slices.Contains(tc.args, "--deep"); code == 0 && strings.Contains(stdout, "deep:") != deep {
				t.Fatalf("stdout says deep: %v, want %v:\n%s", !deep, deep, stdout)
			}
			if code != 0 && !strings.Contains(stderr, "flavor: error: verify: ") {
				t.Fatalf("stderr %q does not sum up the failure", stderr)
			}
		})
	}
}

func TestVerifyJSON(t *testing.T) {
	psp := packExample(t)
	bad := damaged(t, psp, func(p *packer.Package) int64 { d, _ := p.Descriptor(1); return int64(d.Offset) })
	stdout, _, code := runApp(t, "--output-format", "json", "verify", psp, bad, "--public-key", seedPub, "--deep")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	var res []verifyResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if len(res) != 2 || !res[0].OK || res[0].Trusted == nil || !*res[0].Trusted || res[0].Slots != 5 {
		t.Fatalf("first result %+v", res[0])
	}
	if want := "trust"; !contains(res[0].Checks, want) || !contains(res[0].Checks, "slot contents") || !contains(res[0].Checks, "sbom") {
		t.Errorf("checks %v lack trust, slot contents or sbom", res[0].Checks)
	}
	if res[1].OK || res[1].Failed != "slot checksums" || !strings.Contains(res[1].Error, "slot 1 (config)") {
		t.Fatalf("second result %+v", res[1])
	}
}

func TestVerifyUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verify"}, "give at least one package"},
		{[]string{"verify", "x.psp", "--validation", "paranoid"}, "--validation"},
		{[]string{"verify", "x.psp", "--public-key", "not-a-key"}, "--public-key not-a-key"},
	} {
		_, stderr, code := runApp(t, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A pinned key is honoured at every level or refused; a FLAVOR_TRUSTED_KEYS naming no key is an
// error, never "unpinned".
func TestVerifyTrustSettings(t *testing.T) {
	psp := packExample(t)
	for _, tc := range []struct {
		name, env string
		args      []string
		stderr    string
	}{
		{"blank FLAVOR_TRUSTED_KEYS", "  ", nil, "names no key"},
		{"separators only", ",", nil, "names no key"},
		{"pin at none", seedPub, []string{"--validation", "none"}, "does not check the signature"},
		{"pin at minimal", "", []string{"--validation", "minimal", "--public-key", seedPub}, "use relaxed or above"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("FLAVOR_TRUSTED_KEYS", tc.env)
			if tc.env == "" {
				os.Unsetenv("FLAVOR_TRUSTED_KEYS")
			}
			_, stderr, code := runApp(t, append([]string{"verify", psp}, tc.args...)...)
			if code == 0 || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want a failure saying %q", code, stderr, tc.stderr)
			}
		})
	}
}
