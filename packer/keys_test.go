package packer

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyGenerationAndLoading(t *testing.T) {
	dir := t.TempDir()
	priv, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyPair(dir, priv); err != nil {
		t.Fatal(err)
	}
	privPath, pubPath := filepath.Join(dir, PrivateKeyFile), filepath.Join(dir, PublicKeyFile)
	if st, _ := os.Stat(privPath); st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v, want 0600", st.Mode())
	}
	if err := WriteKeyPair(dir, priv); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteKeyPair: %v, want ErrExist (never overwrite keys)", err)
	}
	got, err := LoadSigningKey(privPath, pubPath)
	if err != nil || !got.Equal(priv) {
		t.Fatalf("LoadSigningKey: %v", err)
	}
	other, _ := GenerateKey(nil)
	otherDir := t.TempDir()
	WriteKeyPair(otherDir, other)
	if _, err := LoadSigningKey(privPath, filepath.Join(otherDir, PublicKeyFile)); err == nil {
		t.Fatal("a public key of another pair was accepted")
	}
	pemText, _ := os.ReadFile(privPath)
	if !strings.HasPrefix(string(pemText), "-----BEGIN PRIVATE KEY-----") {
		t.Fatalf("private key is not PKCS#8 PEM: %s", pemText)
	}
}

func TestParsePrivateKeyForms(t *testing.T) {
	key := KeyFromSeed("test123")
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	for _, tc := range []struct {
		name string
		pem  []byte
		ok   bool
	}{
		{"PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), true},
		{"raw 64 bytes", pem.EncodeToMemory(&pem.Block{Type: "ED25519 PRIVATE KEY", Bytes: key}), true},
		{"raw 32-byte seed", pem.EncodeToMemory(&pem.Block{Type: "ED25519 PRIVATE KEY", Bytes: key.Seed()}), true},
		{"raw 64 bytes with a foreign public half", pem.EncodeToMemory(&pem.Block{Type: "X", Bytes: append(key.Seed(), make([]byte, 32)...)}), false},
		{"no PEM", []byte("not a key"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePrivateKeyPEM(tc.pem)
			if tc.ok != (err == nil) || (tc.ok && !got.Equal(key)) {
				t.Fatalf("ParsePrivateKeyPEM: %v", err)
			}
		})
	}
}

func TestParseTrustedKeys(t *testing.T) {
	dir := t.TempDir()
	a := KeyFromSeed("a")
	b := KeyFromSeed("b")
	c := KeyFromSeed("c")
	if err := WriteKeyPair(dir, b); err != nil {
		t.Fatal(err)
	}
	hexFile := filepath.Join(dir, "c.hex")
	os.WriteFile(hexFile, []byte(hex.EncodeToString(c.Public().(ed25519.PublicKey))+"\n"), 0o644)
	aHex := hex.EncodeToString(a.Public().(ed25519.PublicKey))
	list := aHex + "," + filepath.Join(dir, PublicKeyFile) + string(os.PathListSeparator) + hexFile + ",," + filepath.Join(dir, PrivateKeyFile)
	keys, err := ParseTrustedKeys(list)
	if err != nil {
		t.Fatal(err)
	}
	want := []ed25519.PublicKey{a.Public().(ed25519.PublicKey), b.Public().(ed25519.PublicKey), c.Public().(ed25519.PublicKey), b.Public().(ed25519.PublicKey)}
	if len(keys) != len(want) {
		t.Fatalf("%d keys, want %d", len(keys), len(want))
	}
	for i := range want {
		if !keys[i].Equal(want[i]) {
			t.Fatalf("key %d differs", i)
		}
	}
	if _, err := ParseTrustedKeys("nonexistent-file,abcd"); err == nil || !strings.Contains(err.Error(), "nonexistent-file") {
		t.Fatalf("bad item: %v", err)
	}
}
