// Package keys reads and writes the Ed25519 key files of PSPF signing: PKCS#8 and PKIX PEM (as
// openssl and FlavorPack write them), raw keys in PEM blocks, 64-hex-digit public keys, and the
// trusted-key lists of `flavor verify --public-key` and FLAVOR_TRUSTED_KEYS.
//
// It is apart from package packer so that programs which only read packages (the launcher) do
// not link crypto/x509, which brings RSA, ECDSA, DSA and the net package with it. Deriving a key
// from a seed (packer.KeyFromSeed) and generating one (packer.GenerateKey) stay in packer.
package keys
