package launcher

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

// TestTrustedKeysMatchPacker: the launcher's x509-free parser accepts exactly what
// packer.ParseTrustedKeys accepts, with the same keys.
func TestTrustedKeysMatchPacker(t *testing.T) {
	dir := t.TempDir()
	pub := testKey.Public().(ed25519.PublicKey)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pubPEM, _ := packer.MarshalPublicKeyPEM(pub)
	privPEM, _ := packer.MarshalPrivateKeyPEM(testKey)
	files := map[string]string{
		"pkix":      write("pub.pem", pubPEM),
		"pkcs8":     write("priv.pem", privPEM),
		"raw32":     write("raw32.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		"raw64":     write("raw64.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: testKey})),
		"seed":      write("seed.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: testKey.Seed()})),
		"hexfile":   write("key.hex", []byte(hex.EncodeToString(pub)+"\n")),
		"bad64":     write("bad64.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: append(testKey.Seed(), make([]byte, 32)...)})),
		"garbage":   write("garbage", []byte("not a key")),
		"otherder":  write("other.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x00}})),
		"shortpkix": write("short.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkixPrefix})),
	}
	hexKey := hex.EncodeToString(pub)
	lists := []string{hexKey, "  " + hexKey + " ", hexKey + "," + hexKey[:63] + "0", ",,", "nothere"}
	for _, f := range files {
		lists = append(lists, f, hexKey+string(os.PathListSeparator)+f)
	}
	for _, l := range lists {
		t.Run(l, func(t *testing.T) {
			want, werr := packer.ParseTrustedKeys(l)
			got, gerr := parseTrustedKeys(l)
			if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(want, got) {
				t.Fatalf("packer: %x, %v\nlauncher: %x, %v", want, werr, got, gerr)
			}
		})
	}
}

func FuzzTrustedKeyFile(f *testing.F) {
	pubPEM, _ := packer.MarshalPublicKeyPEM(testKey.Public().(ed25519.PublicKey))
	privPEM, _ := packer.MarshalPrivateKeyPEM(testKey)
	f.Add(pubPEM)
	f.Add(privPEM)
	f.Add([]byte(hex.EncodeToString(testKey.Public().(ed25519.PublicKey))))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "k")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		got, gerr := parseTrustedKeys(p)
		if gerr != nil {
			return // packer may accept more exotic DER (it parses ASN.1); never fewer keys
		}
		want, werr := packer.ParseTrustedKeys(p)
		if werr != nil || !reflect.DeepEqual(want, got) {
			t.Fatalf("launcher accepted %q as %x; packer: %x, %v", b, got, want, werr)
		}
	})
}
