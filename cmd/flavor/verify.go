package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/packer/keys"
	"github.com/flavor-dev/flavor/sbom"
)

// verifyCommand is `flavor verify`: every check the launcher makes, plus trust.
func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check packages the way the launcher does, and who signed them",
		ArgsUsage: "PSP…",
		Description: "At the default level (standard) every check is fatal: trailer, format version, index\n" +
			"Adler-32, package size, metadata SHA-256, Ed25519 signature, slot table, launcher and every\n" +
			"slot's SHA-256 against the signed metadata, then every tar slot's entries against the slot\n" +
			"rule (what the launcher unpacks); strict adds layout hygiene. With --public-key (or\n" +
			"FLAVOR_TRUSTED_KEYS) the signing key must be one of the given keys. --deep also unpacks\n" +
			"every slot into a private temporary directory. Exits 2 when a package fails, naming the check.",
		Flags: append(trustFlags(),
			&cli.BoolFlag{Name: "deep", Usage: "also decode and unpack every slot, refusing hostile archive entries"},
		),
		Action: verifyAction,
	}
}

// trustFlags are the verification flags verify, inspect and extract share.
func trustFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "public-key", Aliases: []string{"k"}, Usage: "trust only `KEY`: a public key file or 64 hex digits (repeat, or separate with commas); FLAVOR_TRUSTED_KEYS adds more"},
		&cli.StringFlag{Name: "validation", Value: "standard", EnvVars: []string{"FLAVOR_VALIDATION"}, Usage: "`LEVEL`: strict, standard, relaxed, minimal or none (as the launcher's FLAVOR_VALIDATION)"},
	}
}

// trust is what the trust flags ask for.
type trust struct {
	level packer.Level
	keys  []ed25519.PublicKey
	set   bool // keys were given: the signer must be one of them
}

func readTrust(c *cli.Context) (trust, error) {
	var t trust
	var err error
	if t.level, err = packer.ParseLevel(c.String("validation")); err != nil {
		return t, fmt.Errorf("--validation: %w", err)
	}
	for _, k := range c.StringSlice("public-key") {
		parsed, err := keys.ParseTrustedKeys(k)
		if err != nil {
			return t, fmt.Errorf("--public-key %s: %w", k, err)
		}
		t.keys, t.set = append(t.keys, parsed...), true
	}
	// As in the launcher: a set FLAVOR_TRUSTED_KEYS that names no key is an error, never "unpinned".
	if env, set := os.LookupEnv("FLAVOR_TRUSTED_KEYS"); set {
		parsed, err := keys.ParseTrustedKeys(env)
		if err != nil {
			return t, fmt.Errorf("FLAVOR_TRUSTED_KEYS: %w", err)
		}
		if len(parsed) == 0 {
			return t, fmt.Errorf("FLAVOR_TRUSTED_KEYS=%q names no key: list public keys (64 hex digits or key files) or unset it", env)
		}
		t.keys, t.set = append(t.keys, parsed...), true
	}
	if t.set && t.level < packer.LevelRelaxed {
		return t, fmt.Errorf("--validation %s does not check the signature --public-key / FLAVOR_TRUSTED_KEYS pin: use relaxed or above", t.level)
	}
	return t, nil
}

func (t trust) options() []packer.Option {
	opts := []packer.Option{packer.WithLevel(t.level)}
	if t.set {
		opts = append(opts, packer.WithTrustedKeys(t.keys...))
	}
	return opts
}

// verifyResult is one package's verdict.
type verifyResult struct {
	Path      string      `json:"path"`
	OK        bool        `json:"ok"`
	Level     string      `json:"level"`
	PublicKey string      `json:"public_key,omitempty"`
	Trusted   *bool       `json:"trusted"` // null when no trusted keys were given
	Slots     int         `json:"slots"`
	Checks    []string    `json:"checks"` // what was checked (all passed when ok)
	Failed    string      `json:"failed_check,omitempty"`
	Error     string      `json:"error,omitempty"`
	Warnings  []string    `json:"warnings,omitempty"`
	Deep      *deepResult `json:"deep,omitempty"` // what --deep unpacked, when it passed
}

// deepResult is what --deep unpacked (and removed again): the slots, and the entries and bytes
// they gave.
type deepResult struct {
	Slots int   `json:"slots"`
	Files int   `json:"files"`
	Dirs  int   `json:"dirs"`
	Links int   `json:"links"`
	Bytes int64 `json:"bytes"`
}

func verifyAction(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() == 0 {
		return errors.New("verify: give at least one package (flavor verify PSP…)")
	}
	tr, err := readTrust(c)
	if err != nil {
		return err
	}
	deep := c.Bool("deep")
	var results []verifyResult
	failed := 0
	for _, path := range c.Args().Slice() {
		r := verifyOne(c.Context, path, tr, deep, o)
		if !r.OK {
			failed++
		}
		results = append(results, r)
	}
	err = o.result(results, func(w io.Writer) error {
		for _, r := range results {
			writeVerifyText(w, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if failed > 0 {
		return verifyFailure("verify", results)
	}
	return nil
}

// verifyFailure is the error of a run in which some packages failed: exit code 2 when one failed a
// check, 1 when they only could not be read.
func verifyFailure(cmd string, results []verifyResult) error {
	code, failed := 1, []string{}
	for _, r := range results {
		if r.OK {
			continue
		}
		failed = append(failed, r.Path+": "+r.Failed+" check")
		if r.Failed != "read" {
			code = exitVerifyFailed
		}
	}
	return &exitError{code: code, err: fmt.Errorf("%s: %d of %d packages failed (%s)", cmd, len(failed), len(results), strings.Join(failed, "; "))}
}

func verifyOne(ctx context.Context, path string, tr trust, deep bool, o *output) verifyResult {
	r := verifyResult{Path: path, Level: tr.level.String(), Checks: checksAt(tr, deep)}
	opts := append(tr.options(), packer.WithLogger(o.logger()))
	rep, err := packer.Verify(ctx, path, opts...)
	if err == nil && deep {
		r.Deep, err = deepCheck(ctx, path, opts)
	}
	sbomFailed := false
	if err == nil {
		var checked bool
		checked, err = sbomCheck(ctx, path, opts)
		sbomFailed = err != nil
		if checked {
			r.Checks = append(r.Checks, "sbom")
		}
	}
	if rep != nil {
		r.PublicKey, r.Slots = hex.EncodeToString(rep.PublicKey), rep.Slots
		for _, w := range rep.Warnings {
			r.Warnings = append(r.Warnings, w.String())
		}
	}
	if err != nil {
		r.Failed, r.Error = checkName(err), err.Error()
		if sbomFailed {
			r.Failed = "sbom"
		}
		if errors.Is(err, packer.ErrUntrusted) {
			f := false
			r.Trusted = &f
		}
		return r
	}
	r.OK = true
	if tr.set && tr.level > packer.LevelMinimal {
		t := true
		r.Trusted = &t
	}
	return r
}

// sbomCheck compares the SBOM and provenance a package carries with its slots (see sbom.Check);
// checked is false for a package that carries none.
func sbomCheck(ctx context.Context, path string, opts []packer.Option) (checked bool, err error) {
	p, err := packer.Open(ctx, path, opts...)
	if err != nil {
		return false, err
	}
	defer p.Close()
	if _, err := sbom.Check(ctx, p); err != nil {
		if errors.Is(err, sbom.ErrNoDocument) {
			return false, nil
		}
		return true, fmt.Errorf("checking the SBOM of %s against its slots: %w", path, err)
	}
	return true, nil
}

// deepCheck unpacks every slot into a private temporary directory, which runs the launcher's
// extraction checks (decoding, hostile entries), and removes it. The directory is discarded
// whatever happens, so slots are read in one pass as the launcher reads them.
func deepCheck(ctx context.Context, path string, opts []packer.Option) (*deepResult, error) {
	p, err := packer.Open(ctx, path, opts...)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	dir, err := os.MkdirTemp("", "flavor-verify-")
	if err != nil {
		return nil, fmt.Errorf("deep check of %s: %w", path, err)
	}
	defer os.RemoveAll(dir)
	if err := p.ExtractAll(ctx, dir, packer.WithStagingDest(true)); err != nil {
		return nil, err
	}
	d := &deepResult{Slots: p.NumSlots()}
	err = filepath.WalkDir(dir, func(q string, e fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case q == dir:
		case e.IsDir():
			d.Dirs++
		case e.Type()&fs.ModeSymlink != 0:
			d.Links++
		default:
			d.Files++
			fi, err := e.Info()
			if err != nil {
				return err
			}
			d.Bytes += fi.Size()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deep check of %s: counting what was unpacked: %w", path, err)
	}
	return d, nil
}

// checksAt lists what verify checks at a level (see packer.Level).
func checksAt(tr trust, deep bool) []string {
	checks := []string{"trailer", "format version"}
	switch {
	case tr.level >= packer.LevelStandard:
		checks = append(checks, "index checksum", "package size", "metadata checksum", "signature", "slot table", "launcher checksum (when pinned)", "slot checksums")
	case tr.level == packer.LevelRelaxed:
		checks = append(checks, "slot checksums")
	case tr.level == packer.LevelMinimal:
		checks = append(checks, "slot checksum prefixes")
	}
	checks = append(checks, "slot entries")
	if tr.set && tr.level >= packer.LevelRelaxed {
		checks = append(checks, "trust")
	}
	if tr.level == packer.LevelStrict {
		checks = append(checks, "layout")
	}
	if deep {
		checks = append(checks, "slot contents")
	}
	return checks
}

// checkName names the check an error comes from.
func checkName(err error) string {
	for _, c := range []struct {
		err  error
		name string
	}{
		{packer.ErrBadMagic, "trailer"},
		{packer.ErrBadVersion, "format version"},
		{packer.ErrIndexChecksum, "index checksum"},
		{packer.ErrPackageSize, "package size"},
		{packer.ErrMetadataChecksum, "metadata checksum"},
		{packer.ErrUnsigned, "signature"},
		{packer.ErrBadSignature, "signature"},
		{packer.ErrUntrusted, "trust"},
		{packer.ErrSlotTable, "slot table"},
		{packer.ErrLauncherChecksum, "launcher checksum"},
		{packer.ErrSlotChecksum, "slot checksums"},
		{packer.ErrLayout, "layout"},
		{packer.ErrUnsafeEntry, "slot contents"},
		{packer.ErrSlotSize, "slot size"},
		{packer.ErrUnsupportedOperation, "slot contents"},
		{packer.ErrMalformed, "format"},
	} {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		return "read"
	}
	return "slot contents" // a decoding failure while unpacking
}

func writeVerifyText(w io.Writer, r verifyResult) {
	if !r.OK {
		fmt.Fprintf(w, "%s: FAILED %s check (level %s): %s\n", r.Path, r.Failed, r.Level, r.Error)
		return
	}
	who := "key " + r.PublicKey + " (not checked against a trusted key: give --public-key)"
	if r.Trusted != nil && *r.Trusted {
		who = "trusted key " + r.PublicKey
	}
	fmt.Fprintf(w, "%s: OK (level %s, %s, %s)\n", r.Path, r.Level, plural(r.Slots, "slot"), who)
	if d := r.Deep; d != nil {
		fmt.Fprintf(w, "  deep: unpacked %s with the launcher's extraction checks into a temporary directory (removed): %s, %s, %s, %s\n",
			plural(d.Slots, "slot"), plural(d.Files, "file"), plural(d.Dirs, "directory"), plural(d.Links, "symbolic link"), bytesize(d.Bytes))
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
}

// plural writes "1 slot", "2 slots", "2 directories".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "ry") {
		return strconv.Itoa(n) + " " + strings.TrimSuffix(word, "y") + "ies"
	}
	return strconv.Itoa(n) + " " + word + "s"
}
