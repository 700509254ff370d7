package bundle

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/packer/keys"
)

func TestChooseKeyPrecedence(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []struct{ sub, seed string }{{"manifest-keys", "manifest"}, {"flag-keys", "flags"}} {
		if err := os.MkdirAll(filepath.Join(dir, k.sub), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := keys.WriteKeyPair(filepath.Join(dir, k.sub), packer.KeyFromSeed(k.seed)); err != nil {
			t.Fatal(err)
		}
	}
	pubHex := func(seed string) string {
		return hex.EncodeToString(packer.KeyFromSeed(seed).Public().(ed25519.PublicKey))
	}
	withKeys := minimalManifest + "[signing]\nprivate-key = \"manifest-keys/flavor-private.key\"\npublic-key = \"manifest-keys/flavor-public.key\"\n"
	withSeed := minimalManifest + "[signing]\nkey-seed = \"manifest-seed\"\n"
	flagPriv := filepath.Join(dir, "flag-keys", "flavor-private.key")
	flagPub := filepath.Join(dir, "flag-keys", "flavor-public.key")
	cases := []struct {
		name     string
		manifest string
		req      KeyRequest
		origin   KeyOrigin
		seed     string // the seed the chosen key comes from
	}{
		{"manifest key files", withKeys, KeyRequest{}, KeyManifest, "manifest"},
		{"manifest seed", withSeed, KeyRequest{}, KeyManifestSeed, "manifest-seed"},
		{"flags beat the manifest", withKeys, KeyRequest{PrivateKey: flagPriv, PublicKey: flagPub}, KeyFlags, "flags"},
		{"flags beat a manifest seed", withSeed, KeyRequest{PrivateKey: flagPriv}, KeyFlags, "flags"},
		{"seed beats flags", withKeys, KeyRequest{PrivateKey: flagPriv, Seed: "test123"}, KeySeed, "test123"},
		{"public key alone checks the manifest key", withKeys, KeyRequest{PublicKey: filepath.Join(dir, "manifest-keys", "flavor-public.key")}, KeyManifest, "manifest"},
		{"nothing: generated", minimalManifest, KeyRequest{}, KeyGenerated, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := loadManifest(t, dir, tc.manifest)
			k, err := ChooseKey(m, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if k.Origin != tc.origin {
				t.Errorf("origin %s, want %s", k.Origin, tc.origin)
			}
			if k.Ephemeral() != (tc.origin == KeyGenerated) {
				t.Errorf("Ephemeral() = %v", k.Ephemeral())
			}
			if tc.seed != "" && hex.EncodeToString(k.Public()) != pubHex(tc.seed) {
				t.Errorf("key is not the one from %q", tc.seed)
			}
		})
	}
	t.Run("generated keys differ", func(t *testing.T) {
		m := loadManifest(t, dir, minimalManifest)
		a, _ := ChooseKey(m, KeyRequest{})
		b, _ := ChooseKey(m, KeyRequest{})
		if a.Public().Equal(b.Public()) {
			t.Fatal("two generated keys are equal")
		}
	})
}

func TestChooseKeyErrors(t *testing.T) {
	dir := t.TempDir()
	if err := keys.WriteKeyPair(dir, packer.KeyFromSeed("a")); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	if err := keys.WriteKeyPair(other, packer.KeyFromSeed("b")); err != nil {
		t.Fatal(err)
	}
	m := loadManifest(t, dir, minimalManifest)
	cases := []struct {
		name string
		req  KeyRequest
		msg  string
	}{
		{"missing private key", KeyRequest{PrivateKey: filepath.Join(dir, "nope.key")}, "reading signing key " + filepath.Join(dir, "nope.key")},
		{"mismatched pair", KeyRequest{PrivateKey: filepath.Join(dir, "flavor-private.key"), PublicKey: filepath.Join(other, "flavor-public.key")}, "reading signing key"},
		{"public key of another seed", KeyRequest{Seed: "a", PublicKey: filepath.Join(other, "flavor-public.key")}, "does not belong to the signing key from key seed (seed)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ChooseKey(m, tc.req)
			if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want ErrKey containing %q", err, tc.msg)
			}
		})
	}
	t.Run("manifest key missing names the manifest path", func(t *testing.T) {
		m := loadManifest(t, dir, minimalManifest+"[signing]\nprivate-key = \"keys/none.key\"\npublic-key = \"keys/none.pub\"\n")
		_, err := ChooseKey(m, KeyRequest{})
		if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), filepath.Join(dir, "keys", "none.key")) {
			t.Fatalf("error %v, want the key path resolved against the manifest", err)
		}
	})
}
