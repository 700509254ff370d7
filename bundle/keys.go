package bundle

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/packer/keys"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// KeyOrigin says where ChooseKey found the signing key.
type KeyOrigin string

// Key origins, weakest first: a stronger source always wins over a weaker one.
const (
	KeyGenerated    KeyOrigin = "generated"     // no key anywhere: a fresh throwaway key
	KeyManifest     KeyOrigin = "manifest"      // [signing] private-key / public-key
	KeyManifestSeed KeyOrigin = "manifest-seed" // [signing] key-seed
	KeyFlags        KeyOrigin = "flags"         // --private-key / --public-key
	KeySeed         KeyOrigin = "seed"          // --key-seed or FLAVOR_SEED
)

// KeyRequest is what the caller was told about keys, besides the manifest.
type KeyRequest struct {
	// PrivateKey and PublicKey are key files (--private-key, --public-key), relative to the
	// working directory. A PublicKey alone is not a key: it is checked against the chosen one.
	PrivateKey, PublicKey string
	// Seed derives a deterministic key (--key-seed, or the FLAVOR_SEED variable).
	Seed string
}

// Key is a chosen signing key.
type Key struct {
	Private ed25519.PrivateKey
	Origin  KeyOrigin
	// From names the files or seed source, for messages ("keys/flavor-private.key", "--key-seed").
	From string
}

// Public returns the key's public half.
func (k Key) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// Ephemeral reports whether the key was generated for this run only: packages signed with it
// cannot be verified against any trusted key.
func (k Key) Ephemeral() bool { return k.Origin == KeyGenerated }

// ChooseKey picks the signing key, strongest source first:
//
//  1. req.Seed (--key-seed, FLAVOR_SEED): the key every FlavorPack builder derives from a seed;
//  2. req.PrivateKey (--private-key, with --public-key checked against it);
//  3. the manifest's [signing]: private-key/public-key (relative to the manifest) or key-seed;
//  4. a fresh random key (Origin KeyGenerated), which the caller should warn about.
//
// A req.PublicKey given without req.PrivateKey must belong to whichever key is chosen. Errors
// wrap ErrKey and name the file.
func ChooseKey(m *manifest.Manifest, req KeyRequest) (Key, error) {
	k, err := chooseKey(m, req)
	if err != nil {
		return Key{}, err
	}
	if req.PublicKey != "" && req.PrivateKey == "" {
		pub, err := keys.LoadPublicKey(req.PublicKey)
		if err != nil {
			return Key{}, fmt.Errorf("reading public key %s: %w: %w", req.PublicKey, ErrKey, err)
		}
		if !bytes.Equal(pub, k.Public()) {
			return Key{}, fmt.Errorf("public key %s does not belong to the signing key from %s (%s): %w", req.PublicKey, k.From, k.Origin, ErrKey)
		}
	}
	return k, nil
}

func chooseKey(m *manifest.Manifest, req KeyRequest) (Key, error) {
	switch {
	case req.Seed != "":
		return Key{Private: packer.KeyFromSeed(req.Seed), Origin: KeySeed, From: "key seed"}, nil
	case req.PrivateKey != "":
		return loadPair(req.PrivateKey, req.PublicKey, KeyFlags)
	}
	if m != nil {
		s := m.Signing()
		switch {
		case s.KeySeed != "":
			return Key{Private: packer.KeyFromSeed(s.KeySeed), Origin: KeyManifestSeed, From: m.File() + " [signing] key-seed"}, nil
		case s.PrivateKey != "":
			return loadPair(m.Abs(s.PrivateKey), m.Abs(s.PublicKey), KeyManifest)
		case s.PublicKey != "":
			return Key{}, fmt.Errorf("%s: [signing] public-key without private-key: %w", m.File(), ErrKey)
		}
	}
	priv, err := packer.GenerateKey(nil)
	if err != nil {
		return Key{}, fmt.Errorf("generating a signing key: %w", err)
	}
	return Key{Private: priv, Origin: KeyGenerated, From: "generated"}, nil
}

func loadPair(private, public string, origin KeyOrigin) (Key, error) {
	priv, err := keys.LoadSigningKey(private, public)
	if err != nil {
		return Key{}, fmt.Errorf("reading signing key %s: %w: %w", private, ErrKey, err)
	}
	return Key{Private: priv, Origin: origin, From: private}, nil
}
