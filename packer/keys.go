package packer

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
)

// Key files (PEM, hex, trusted-key lists) are read and written by package packer/keys, so that
// readers of packages do not link crypto/x509.

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
