package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer/keys"
)

func TestKeygen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	stdout, stderr, code := runApp(t, "--output-format", "json", "keygen", "--output", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res keygenResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	priv, err := keys.LoadSigningKey(res.PrivateKey, res.PublicKey)
	if err != nil {
		t.Fatalf("the pair does not load: %v", err)
	}
	if got := hex.EncodeToString(priv.Public().(ed25519.PublicKey)); got != res.PublicHex {
		t.Errorf("reported public key %s, the file holds %s", res.PublicHex, got)
	}
	if st, _ := os.Stat(res.PrivateKey); st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(res.PublicKey); st.Mode().Perm() != 0o644 {
		t.Errorf("public key mode %v, want 0644", st.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("keygen left %d entries in %s, want the 2 key files", len(ents), dir)
	}

	// The pair signs and verifies end to end.
	out := t.TempDir()
	_, stderr, code = runApp(t, "pack", "-m", exampleManifest, "--launcher-bin", launcherBin, "-o", out,
		"--private-key", res.PrivateKey, "--public-key", res.PublicKey)
	if code != 0 {
		t.Fatalf("pack with the new keys: exit %d: %s", code, stderr)
	}
	psps, _ := filepath.Glob(filepath.Join(out, "*.psp"))
	stdout, stderr, code = runApp(t, "verify", psps[0], "--public-key", res.PublicKey)
	if code != 0 || !strings.Contains(stdout, "trusted key "+res.PublicHex) {
		t.Fatalf("verify with the new public key: exit %d\n%s%s", code, stdout, stderr)
	}

	// Existing keys are kept unless --force.
	before, _ := os.ReadFile(res.PrivateKey)
	_, stderr, code = runApp(t, "keygen", "--output", dir)
	if code != 1 || !strings.Contains(stderr, "flavor-private.key exists; use --force") {
		t.Fatalf("second keygen: exit %d, stderr %q", code, stderr)
	}
	if after, _ := os.ReadFile(res.PrivateKey); string(after) != string(before) {
		t.Fatal("a refused keygen changed the private key")
	}
	stdout, _, code = runApp(t, "keygen", "--output", dir, "--force")
	after, _ := os.ReadFile(res.PrivateKey)
	if code != 0 || string(after) == string(before) || !strings.Contains(stdout, "public key") {
		t.Fatalf("--force: exit %d, key replaced %v", code, string(after) != string(before))
	}
	if _, err := keys.LoadSigningKey(res.PrivateKey, res.PublicKey); err != nil {
		t.Fatalf("--force left a mismatched pair: %v", err)
	}
	_, stderr, code = runApp(t, "keygen")
	if code != 1 || !strings.Contains(stderr, "--output DIR is required") {
		t.Fatalf("no --output: exit %d, stderr %q", code, stderr)
	}
}
