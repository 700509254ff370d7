package launcher

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// parseTrustedKeys reads FLAVOR_TRUSTED_KEYS the way packer.ParseTrustedKeys does (items separated
// by commas or the OS path-list separator, each 64 hex digits or the path of a key file holding
// hex, a PEM public key or a PEM private key), accepting exactly the keys it accepts. It exists
// so the launcher does not link crypto/x509 (and with it RSA, ECDSA and net): an Ed25519 key in
// PKIX or PKCS#8 DER is a fixed prefix followed by the key bytes, which needs no ASN.1 parser.
func parseTrustedKeys(list string) ([]ed25519.PublicKey, error) {
	items := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == os.PathListSeparator })
	var keys []ed25519.PublicKey
	for _, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if k, ok := hexKey(item); ok {
			keys = append(keys, k)
			continue
		}
		k, err := keyFile(item)
		if err != nil {
			return nil, fmt.Errorf("reading trusted key %q (neither 64 hex digits nor a readable key file): %w", item, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func hexKey(s string) (ed25519.PublicKey, bool) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, false
	}
	return b, true
}

// DER prefixes of an Ed25519 SubjectPublicKeyInfo (RFC 8410) and of a PKCS#8 private key without
// attributes or public key.
var (
	pkixPrefix  = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}
	pkcs8Prefix = []byte{0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20}
)

func keyFile(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if k, ok := hexKey(string(data)); ok {
		return k, nil
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	b := block.Bytes
	private := strings.Contains(block.Type, "PRIVATE")
	switch {
	case !private && len(b) == ed25519.PublicKeySize:
		return ed25519.PublicKey(bytes.Clone(b)), nil
	case !private && len(b) == len(pkixPrefix)+ed25519.PublicKeySize && bytes.HasPrefix(b, pkixPrefix):
		return ed25519.PublicKey(bytes.Clone(b[len(pkixPrefix):])), nil
	case private && len(b) == ed25519.PrivateKeySize:
		priv := ed25519.PrivateKey(b)
		if !bytes.Equal(ed25519.NewKeyFromSeed(priv.Seed()), priv) {
			return nil, errors.New("raw 64-byte private key is inconsistent (public half does not match the seed)")
		}
		return bytes.Clone(priv[ed25519.SeedSize:]), nil
	case private && len(b) == ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b).Public().(ed25519.PublicKey), nil
	case private && len(b) == len(pkcs8Prefix)+ed25519.SeedSize && bytes.HasPrefix(b, pkcs8Prefix):
		return ed25519.NewKeyFromSeed(b[len(pkcs8Prefix):]).Public().(ed25519.PublicKey), nil
	}
	return nil, fmt.Errorf("%s block is not an Ed25519 key", block.Type)
}
