package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/sbom"
)

// sbomCommand is `flavor sbom`: the SBOM or provenance of any package, without running or
// unpacking it.
func sbomCommand() *cli.Command {
	return &cli.Command{
		Name:      "sbom",
		Usage:     "print a package's SBOM (SPDX 2.3 or CycloneDX 1.6 JSON) or its SLSA provenance",
		ArgsUsage: "PSP",
		Description: "Prints the document the package carries, as signed (its slot is checked against the signed\n" +
			"metadata while it is read). A package without one (written by FlavorPack, or packed with\n" +
			"--no-sbom) gets a files-only SBOM read from its slots, which are decoded and verified;\n" +
			"provenance cannot be read from slots, so asking for it fails for such a package.",
		Flags: append(trustFlags(),
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: sbom.FormatSPDX, Usage: "`FORMAT`: spdx, cyclonedx or provenance"},
		),
		Action: sbomAction,
	}
}

func sbomAction(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return fmt.Errorf("sbom: want one package, got %d arguments", c.NArg())
	}
	formats, err := sbom.ParseFormats(c.String("format"))
	if err != nil || len(formats) != 1 {
		return fmt.Errorf("sbom: --format %q: want one of spdx, cyclonedx, provenance", c.String("format"))
	}
	format := formats[0]
	tr, err := readTrust(c)
	if err != nil {
		return err
	}
	path := c.Args().First()
	p, err := packer.Open(c.Context, path, append(tr.options(), packer.WithLogger(o.logger()))...)
	if err != nil {
		return &exitError{code: exitVerifyFailed, err: fmt.Errorf("sbom: %w", err)}
	}
	defer p.Close()
	doc, err := sbom.Embedded(c.Context, p, format)
	if errors.Is(err, sbom.ErrNoDocument) {
		if format == sbom.FormatProvenance {
			return fmt.Errorf("sbom: %s carries no provenance (it was not packed by flavor, or packed with --no-sbom); only an SBOM can be read from its slots", path)
		}
		d, rerr := sbom.Read(c.Context, p)
		if rerr != nil {
			return fmt.Errorf("sbom: reading the slots of %s: %w", path, rerr)
		}
		if doc, err = d.Document(format); err == nil {
			o.notef("flavor: %s carries no SBOM; this files-only SBOM was read from its slots", path)
		}
	}
	if err != nil {
		return fmt.Errorf("sbom: %s: %w", path, err)
	}
	_, err = o.out.Write(doc)
	return err
}
