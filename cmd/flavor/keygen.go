package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/packer/keys"
)

// keygenCommand is `flavor keygen`: a fresh Ed25519 key pair as PEM files.
func keygenCommand() *cli.Command {
	return &cli.Command{
		Name:  "keygen",
		Usage: "write a new Ed25519 signing key pair (flavor-private.key 0600, flavor-public.key)",
		Description: "The private key is PKCS#8 PEM (give it to `flavor pack --private-key` or [signing]),\n" +
			"the public key PKIX PEM (give it to `flavor verify --public-key` or FLAVOR_TRUSTED_KEYS).\n" +
			"Existing key files are kept unless --force.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "(required) `DIR` to write the key files into; created when missing"},
			&cli.BoolFlag{Name: "force", Usage: "replace existing key files"},
		},
		Action: keygenAction,
	}
}

type keygenResult struct {
	PrivateKey string `json:"private_key"`
	PublicKey  string `json:"public_key"`
	PublicHex  string `json:"public_key_hex"`
}

func keygenAction(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	dir := c.String("output")
	if dir == "" {
		return errors.New("keygen: --output DIR is required")
	}
	if c.NArg() > 0 {
		return fmt.Errorf("keygen: unexpected argument %q (the directory is given with --output)", c.Args().First())
	}
	res := keygenResult{PrivateKey: filepath.Join(dir, keys.PrivateKeyFile), PublicKey: filepath.Join(dir, keys.PublicKeyFile)}
	if !c.Bool("force") {
		for _, p := range []string{res.PrivateKey, res.PublicKey} {
			if _, err := os.Lstat(p); err == nil {
				return fmt.Errorf("keygen: %s exists; use --force to replace the key pair: %w", p, fs.ErrExist)
			}
		}
	}
	priv, err := packer.GenerateKey(nil)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	// Write both files next to their final place, then rename them in: an interrupted keygen
	// never leaves half a pair, and --force replaces each file atomically.
	tmp, err := os.MkdirTemp(dir, ".keygen-")
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := keys.WriteKeyPair(tmp, priv); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	for _, name := range []string{keys.PublicKeyFile, keys.PrivateKeyFile} {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("keygen: %w", err)
		}
	}
	res.PublicHex = hex.EncodeToString(priv.Public().(ed25519.PublicKey))
	return o.result(res, func(w io.Writer) error {
		fmt.Fprintf(w, "private key  %s\npublic key   %s\n             %s\n", res.PrivateKey, res.PublicKey, res.PublicHex)
		return nil
	})
}
