package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/bundle"
	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/pipeline"
	"github.com/flavor-dev/flavor/sbom"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// packCommand is `flavor pack`: a bundle manifest to one signed .psp per platform.
func packCommand() *cli.Command {
	return &cli.Command{
		Name:  "pack",
		Usage: "write one signed .psp per platform from a bundle manifest",
		Description: "Reads flavor.toml (or [tool.flavor] in pyproject.toml) and writes\n" +
			"<output>/<name>-<version>-<os>-<arch>.psp for each platform: --platform, else the\n" +
			"manifest's options.systems, else the platform of --launcher-bin, else this machine's.\n" +
			"Packages are written atomically and checked at --validation before they are reported.\n\n" +
			"Signing key, strongest first: --key-seed or FLAVOR_SEED; --private-key (with --public-key\n" +
			"checked against it); the manifest's [signing]; otherwise a throwaway key, with a warning.\n" +
			"SOURCE_DATE_EPOCH clamps file times; the same inputs and key give the same bytes.\n\n" +
			"[install] entries are resolved against the manifest's trees and built in containers\n" +
			"(artifacts cached, see `flavor build`), one slot per pkg-group. flavor.lock beside the\n" +
			"manifest is written when missing or stale; --locked uses it as it is and fails instead.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "manifest", Aliases: []string{"m"}, Usage: "the bundle manifest `FILE` (default: flavor.toml, else pyproject.toml, in the working directory)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "output `DIR` (default: dist/ beside the manifest), or a FILE.psp when there is one platform"},
			&cli.StringSliceFlag{Name: "launcher-bin", Usage: "launcher executable `FILE` to use instead of the embedded one; its platform is read from its header (repeat for several platforms)"},
			&cli.StringSliceFlag{Name: "platform", Aliases: []string{"p"}, Usage: "pack only for `OS/ARCH` (linux/amd64, x86_64-linux, linux_amd64; repeat or separate with commas)"},
			&cli.StringFlag{Name: "private-key", Usage: "PEM private key `FILE` to sign with"},
			&cli.StringFlag{Name: "public-key", Usage: "PEM public key `FILE` that must belong to the signing key"},
			&cli.StringFlag{Name: "key-seed", EnvVars: []string{"FLAVOR_SEED"}, Usage: "derive the signing key from `SEED` (reproducible; for tests and CI, not for secrets)"},
			&cli.StringFlag{Name: "validation", Value: "standard", EnvVars: []string{"FLAVOR_VALIDATION"}, Usage: "check each written package at `LEVEL`: none, minimal, relaxed, standard (open it like the launcher) or strict (also hash every byte)"},
			&cli.BoolFlag{Name: "locked", Usage: "use flavor.lock as it is: refuse a missing or stale lock, and builds that differ from it"},
			&cli.StringFlag{Name: "sbom", Usage: "also write the package's SBOM beside it in these `FORMATS` (spdx, cyclonedx; comma-separated): <package>.spdx.json, <package>.cdx.json"},
			&cli.BoolFlag{Name: "provenance", Usage: "also write the package's SLSA provenance beside it: <package>.intoto.json (an in-toto statement whose first subject is the .psp)"},
			&cli.BoolFlag{Name: "no-sbom", Usage: "pack without the SBOM and provenance slots every package carries otherwise"},
		}, installFlags()...),
		Action: packAction,
	}
}

// packResult is what `flavor pack` reports.
type packResult struct {
	Manifest string          `json:"manifest"`
	Key      packKey         `json:"key"`
	Packages []bundle.Output `json:"packages"`
	Install  *installReport  `json:"install,omitempty"`
}

// installReport is what `flavor pack` did for the [install] entries.
type installReport struct {
	Lock        string         `json:"lock"`
	LockWritten bool           `json:"lock_written"`
	Changed     []lockChange   `json:"changed"`    // entries resolved again, and why
	Containers  int            `json:"containers"` // containers the builds started
	Packages    []installedPkg `json:"packages"`
}

type installedPkg struct {
	System  string `json:"system"`
	Slot    string `json:"slot"`
	Package string `json:"package"`
	Flavor  string `json:"flavor"`
	Source  string `json:"source"` // built, cached or pulled
}

type packKey struct {
	Origin    bundle.KeyOrigin `json:"origin"`
	From      string           `json:"from"`
	PublicKey string           `json:"public_key"`
	Ephemeral bool             `json:"ephemeral"`
}

func packAction(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() > 0 {
		return fmt.Errorf("pack: unexpected argument %q (the manifest is given with --manifest)", c.Args().First())
	}
	path, err := findManifest(c.String("manifest"))
	if err != nil {
		return err
	}
	m, err := manifest.Load(c.Context, path, manifest.WithLogger(o.logger()))
	if err != nil {
		return err
	}
	m, cleanup, err := pythonApp(c.Context, m, outputExclude(c.String("output"))...)
	if err != nil {
		return err
	}
	defer cleanup()
	key, err := bundle.ChooseKey(m, bundle.KeyRequest{
		PrivateKey: c.String("private-key"), PublicKey: c.String("public-key"), Seed: c.String("key-seed"),
	})
	if err != nil {
		return err
	}
	launchers, err := launcherSource(c)
	if err != nil {
		return err
	}
	r := newRenderer(progressModeOf(o), o.err)
	defer r.close()
	opts, err := pipelineOptions(c, o, launchers, r)
	if err != nil {
		return err
	}
	popts, err := packOptions(c, o, key, r)
	if err != nil {
		return err
	}
	if !m.PackOnly() {
		popts = append(popts, bundle.WithBuildInfo(bundle.BuildInfo{Engine: c.String("engine")}))
	}
	opts = append(opts, pipeline.WithPackOptions(popts...))
	if c.Bool("locked") {
		opts = append(opts, pipeline.WithFrozen())
	}
	if key.Ephemeral() {
		o.warnf("no signing key given (--key-seed, FLAVOR_SEED, --private-key or [signing] in %s): signed with a throwaway key %x, so these packages cannot be verified against a trusted key", m.File(), key.Public())
	}
	packed, err := pipeline.Pack(c.Context, m, opts...)
	r.close()
	var outs []bundle.Output
	var installed *installReport
	if packed != nil {
		outs = packed.Packages
		if packed.Install != nil {
			installed = installReportOf(packed.Install)
			if installed.LockWritten {
				o.notef("wrote %s", installed.Lock)
			}
		}
	}
	res := packResult{
		Manifest: m.File(), Packages: outs, Install: installed,
		Key: packKey{Origin: key.Origin, From: key.From, PublicKey: fmt.Sprintf("%x", key.Public()), Ephemeral: key.Ephemeral()},
	}
	if err != nil {
		for _, out := range outs {
			o.notef("wrote %s before the failure", out.Path)
		}
		return err
	}
	return o.result(res, func(w io.Writer) error {
		for _, out := range res.Packages {
			fmt.Fprintf(w, "%s  %s  %s  %s\n", out.Path, out.Platform, bytesize(out.Size), out.SHA256)
			if len(out.Skipped) > 0 {
				o.notef("  %s: left out slots for other platforms: %s", out.Platform, strings.Join(out.Skipped, ", "))
			}
			for _, n := range out.SBOMNotes {
				o.notef("  %s: SBOM: %s", out.Platform, n)
			}
		}
		if in := res.Install; in != nil {
			counts := map[string]int{}
			for _, p := range in.Packages {
				counts[p.Source]++
			}
			o.notef("[install] %d packages: %d built, %d from the cache; %d containers started",
				len(in.Packages), counts["built"], counts["cached"]+counts["pulled"], in.Containers)
		}
		o.notef("signed with %s key %s (%s)", res.Key.Origin, res.Key.PublicKey, res.Key.From)
		return nil
	})
}

// installReportOf is the report of what Pack did for the [install] entries.
func installReportOf(res *pipeline.LockResult) *installReport {
	rep := &installReport{Lock: res.Path, LockWritten: res.Written, Containers: res.Containers, Changed: []lockChange{}, Packages: []installedPkg{}}
	for _, ch := range res.Changed {
		rep.Changed = append(rep.Changed, lockChange{InstallID: ch.InstallID, System: ch.System, Why: ch.Why})
	}
	for _, sys := range res.Systems {
		for _, g := range sys.Groups {
			for _, p := range g.Packages {
				rep.Packages = append(rep.Packages, installedPkg{System: sys.Platform, Slot: g.Name, Package: p.Package, Flavor: p.Flavor, Source: string(p.Artifact.Source)})
			}
		}
	}
	return rep
}

// packOptions turns the flags into bundle options.
func packOptions(c *cli.Context, o *output, key bundle.Key, r *renderer) ([]bundle.Option, error) {
	level, err := packer.ParseLevel(c.String("validation"))
	if err != nil {
		return nil, fmt.Errorf("--validation: %w", err)
	}
	opts := []bundle.Option{
		bundle.WithSigner(key.Private),
		bundle.WithLogger(o.logger()),
		bundle.WithToolVersion(version),
		bundle.WithCheckLevel(level),
		bundle.WithProgress(r.pack),
	}
	epoch, err := sourceDateEpoch()
	if err != nil {
		return nil, err
	}
	if epoch != nil {
		opts = append(opts, bundle.WithSourceDateEpoch(*epoch))
	}
	sidecars, err := sbomSidecars(c)
	if err != nil {
		return nil, err
	}
	if c.Bool("no-sbom") {
		opts = append(opts, bundle.WithoutSBOM())
	}
	if len(sidecars) > 0 {
		opts = append(opts, bundle.WithSinks(bundle.SBOMFiles(sidecars...)))
	}
	if out := c.String("output"); out != "" {
		if isOutputFile(out) {
			opts = append(opts, bundle.WithOutputFile(out))
		} else {
			opts = append(opts, bundle.WithOutputDir(out))
		}
	}
	return opts, nil
}

// isOutputFile tells `--output signed.psp` from `--output dist/`: a name ending in .psp (or
// .exe), or an existing file, is a file; anything else is a directory.
func isOutputFile(p string) bool {
	if strings.HasSuffix(p, "/") || strings.HasSuffix(p, string(filepath.Separator)) {
		return false
	}
	if st, err := os.Stat(p); err == nil {
		return !st.IsDir()
	}
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".psp" || ext == ".pspf" || ext == ".exe"
}

// findManifest returns the manifest to read: the one given, else flavor.toml, else
// pyproject.toml in the working directory.
func findManifest(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	for _, name := range []string{"flavor.toml", "pyproject.toml"} {
		if _, err := os.Stat(name); err == nil {
			return name, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("looking for the manifest: %w", err)
		}
	}
	return "", errors.New("no flavor.toml or pyproject.toml in the working directory; give one with --manifest")
}

// sbomSidecars reads --sbom, --provenance and --no-sbom: the documents to write beside each
// package.
func sbomSidecars(c *cli.Context) ([]string, error) {
	var formats []string
	if v := c.String("sbom"); v != "" {
		fs, err := sbom.ParseFormats(v)
		if err != nil {
			return nil, fmt.Errorf("--sbom: %w", err)
		}
		for _, f := range fs {
			if f == sbom.FormatProvenance {
				return nil, fmt.Errorf("--sbom %s: provenance is written with --provenance; --sbom takes spdx and cyclonedx", v)
			}
			if !slices.Contains(formats, f) {
				formats = append(formats, f)
			}
		}
	}
	if c.Bool("provenance") {
		formats = append(formats, sbom.FormatProvenance)
	}
	if len(formats) > 0 && c.Bool("no-sbom") {
		return nil, fmt.Errorf("--no-sbom packs without the documents that --sbom and --provenance write beside the package; drop one of them")
	}
	return formats, nil
}
