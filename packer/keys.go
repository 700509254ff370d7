package packer

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Key file names written by WriteKeyPair.
const (
	PrivateKeyFile = "flavor-private.key"
	PublicKeyFile  = "flavor-public.key"
)

// KeyFromSeed derives the Ed25519 key every FlavorPack builder derives from --key-seed: the
// 32-byte secret seed is SHA-256 of the string's UTF-8 bytes.
func KeyFromSeed(seed string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte(seed))
	return ed25519.NewKeyFromSeed(s[:])
}

// GenerateKey returns a fresh Ed25519 key from rnd (crypto/rand when nil).
func GenerateKey(rnd io.Reader) (ed25519.PrivateKey, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	_, priv, err := ed25519.GenerateKey(rnd)
	if err != nil {
		return nil, fmt.Errorf("generating Ed25519 key: %w", err)
	}
	return priv, nil
}

// ParsePrivateKeyPEM reads an Ed25519 private key from PEM: PKCS#8 ("PRIVATE KEY", as written by
// openssl genpkey and by WriteKeyPair), or any block holding the raw 64-byte key (or a 32-byte
// seed).
func ParsePrivateKeyPEM(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("parsing private key: no PEM block found")
	}
	switch len(block.Bytes) {
	case ed25519.PrivateKeySize:
		priv := ed25519.PrivateKey(bytes.Clone(block.Bytes))
		// A raw key is seed||public; reject a public half that does not belong to the seed.
		if !bytes.Equal(ed25519.NewKeyFromSeed(priv.Seed()), priv) {
			return nil, errors.New("parsing private key: raw 64-byte key is inconsistent (public half does not match the seed)")
		}
		return priv, nil
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(block.Bytes), nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing PKCS#8 private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parsing private key: %T is not an Ed25519 key", k)
	}
	return priv, nil
}

// ParsePublicKeyPEM reads an Ed25519 public key from PEM: PKIX ("PUBLIC KEY") or a block holding
// the raw 32 bytes.
func ParsePublicKeyPEM(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("parsing public key: no PEM block found")
	}
	if len(block.Bytes) == ed25519.PublicKeySize {
		return ed25519.PublicKey(bytes.Clone(block.Bytes)), nil
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing PKIX public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("parsing public key: %T is not an Ed25519 key", k)
	}
	return pub, nil
}

// LoadSigningKey reads a PEM private key file and, when publicPath is not empty, a PEM public key
// file that must belong to it (FlavorPack's --private-key/--public-key pair).
func LoadSigningKey(privatePath, publicPath string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(privatePath)
	if err != nil {
		return nil, fmt.Errorf("reading private key: %w", err)
	}
	priv, err := ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", privatePath, err)
	}
	if publicPath == "" {
		return priv, nil
	}
	data, err = os.ReadFile(publicPath)
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	pub, err := ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", publicPath, err)
	}
	if !pub.Equal(priv.Public()) {
		return nil, fmt.Errorf("loading %s: public key does not belong to the private key in %s", publicPath, privatePath)
	}
	return priv, nil
}

// MarshalPrivateKeyPEM encodes a key as a PKCS#8 "PRIVATE KEY" PEM block.
func MarshalPrivateKeyPEM(priv ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKeyPEM encodes a key as a PKIX "PUBLIC KEY" PEM block.
func MarshalPublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// WriteKeyPair writes flavor-private.key (mode 0600) and flavor-public.key (0644) into dir as PEM.
// It never overwrites: an existing file is an error wrapping fs.ErrExist.
func WriteKeyPair(dir string, priv ed25519.PrivateKey) error {
	privPEM, err := MarshalPrivateKeyPEM(priv)
	if err != nil {
		return err
	}
	pubPEM, err := MarshalPublicKeyPEM(priv.Public().(ed25519.PublicKey))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing key pair: %w", err)
	}
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{{PrivateKeyFile, privPEM, 0o600}, {PublicKeyFile, pubPEM, 0o644}} {
		if err := writeNewFile(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return fmt.Errorf("writing key pair: %w", err)
		}
	}
	return nil
}

func writeNewFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil { // the umask may have removed bits
		f.Close()
		return err
	}
	return f.Close()
}

// ParsePublicKeyHex reads a raw Ed25519 public key written as 64 hex digits.
func ParsePublicKeyHex(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("parsing public key %q: want 64 hex digits", s)
	}
	return ed25519.PublicKey(b), nil
}

// ParseTrustedKeys reads a list of trusted public keys, the form of --public-key and of the
// FLAVOR_TRUSTED_KEYS variable: items separated by commas or by the OS path-list separator
// (":" on Unix, ";" on Windows), each either 64 hex digits or the path of a key file. A key file
// may hold a PEM public key, a PEM private key (its public half is trusted) or 64 hex digits.
// Empty items are ignored.
func ParseTrustedKeys(list string) ([]ed25519.PublicKey, error) {
	items := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == os.PathListSeparator })
	var keys []ed25519.PublicKey
	for _, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if k, err := ParsePublicKeyHex(item); err == nil {
			keys = append(keys, k)
			continue
		}
		k, err := LoadPublicKey(item)
		if err != nil {
			return nil, fmt.Errorf("reading trusted key %q (neither 64 hex digits nor a readable key file): %w", item, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// LoadPublicKey reads a public key file: PEM public key, PEM private key (its public half), or
// 64 hex digits.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if k, err := ParsePublicKeyHex(string(data)); err == nil {
		return k, nil
	}
	if block, _ := pem.Decode(data); block != nil && strings.Contains(block.Type, "PRIVATE") {
		priv, err := ParsePrivateKeyPEM(data)
		if err != nil {
			return nil, err
		}
		return priv.Public().(ed25519.PublicKey), nil
	}
	return ParsePublicKeyPEM(data)
}
