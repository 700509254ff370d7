package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
)

// imageCommand is `flavor image`: base images for builds.
func imageCommand() *cli.Command {
	return &cli.Command{
		Name:  "image",
		Usage: "make and inspect the base images builds run in",
		Subcommands: []*cli.Command{
			&cli.Command{
				Name:      "import",
				Usage:     "make a base image of a root filesystem (directory or tar) for one platform",
				ArgsUsage: "ROOTFS",
				Description: "The image has one layer (entries sorted, mtimes clamped to SOURCE_DATE_EPOCH or 0,\n" +
					"owners kept), records the platform in its config, and is the same for the same root\n" +
					"filesystem. It goes into the container engine (the default), a registry (--push) or an\n" +
					"OCI layout (--oci-layout DIR).",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "platform", Usage: "(required) `PLATFORM` (os/arch[/variant]) the root filesystem is for, e.g. linux/arm64"},
					&cli.StringFlag{Name: "tag", Usage: "`IMAGE` name, e.g. busybox:arm64 or 127.0.0.1:5000/base/busybox:1 (required unless only --oci-layout)"},
					&cli.BoolFlag{Name: "push", Usage: "push to the registry named by --tag instead of loading into the engine"},
					&cli.StringFlag{Name: "oci-layout", Usage: "write to the OCI image layout `DIR` instead of loading into the engine"},
				},
				Action: imageImport,
			},
			&cli.Command{
				Name:      "resolve",
				Usage:     "show which image a reference means for a platform, and where it was found",
				ArgsUsage: "REF",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "platform", Value: platform.HostLinux().String(), Usage: "target `PLATFORM`"},
					&cli.BoolFlag{Name: "no-engine", Usage: "do not look in the container engine"},
				},
				Action: imageResolve,
			},
		},
	}
}

// importResult is what `flavor image import` reports.
type importResult struct {
	Tag            string `json:"tag,omitempty"`
	Platform       string `json:"platform"`
	ImageID        string `json:"image_id"`
	ManifestDigest string `json:"manifest_digest"`
	EngineID       string `json:"engine_id,omitempty"`
	Pushed         string `json:"pushed,omitempty"`
	OCILayout      string `json:"oci_layout,omitempty"`
}

func imageImport(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return fmt.Errorf("image import: want one ROOTFS argument, got %d (usage: flavor image import ROOTFS --platform P --tag T)", c.NArg())
	}
	if c.String("platform") == "" {
		return errors.New("image import: --platform is required (the root filesystem's os/arch, e.g. linux/arm64)")
	}
	p, err := platform.Parse(c.String("platform"))
	if err != nil {
		return fmt.Errorf("image import: --platform: %w", err)
	}
	tag, layoutDir, push := c.String("tag"), c.String("oci-layout"), c.Bool("push")
	toEngine := !push && layoutDir == ""
	if tag == "" && (push || toEngine) {
		return errors.New("image import: --tag is required when loading into the engine or pushing (e.g. --tag busybox:arm64)")
	}
	opts := []oci.Option{oci.WithLogger(o.logger())}
	epoch, err := sourceDateEpoch()
	if err != nil {
		return fmt.Errorf("image import: %w", err)
	}
	if epoch != nil {
		opts = append(opts, oci.WithSourceDateEpoch(*epoch))
	}
	ctx := c.Context
	img, err := oci.NewBaseImage(ctx, c.Args().First(), p, opts...)
	if err != nil {
		return err
	}
	defer img.Close()
	id, err := img.ConfigName()
	if err != nil {
		return err
	}
	manifest, err := img.Digest()
	if err != nil {
		return err
	}
	res := importResult{Tag: tag, Platform: p.String(), ImageID: id.String(), ManifestDigest: manifest.String()}
	if layoutDir != "" {
		if _, err := oci.WriteLayout(layoutDir, img, tag); err != nil {
			return err
		}
		res.OCILayout = layoutDir
	}
	if push {
		if _, err := oci.Push(ctx, img, tag, opts...); err != nil {
			return err
		}
		res.Pushed = tag
	}
	if toEngine {
		d, err := openEngine(c, o.logger())
		if err != nil {
			return err
		}
		defer d.Close()
		if res.EngineID, err = oci.Load(ctx, d, img, tag, opts...); err != nil {
			return err
		}
	}
	if o.json {
		return writeJSON(c.App.Writer, res)
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	rows := [][2]string{{"image id", res.ImageID}, {"manifest", res.ManifestDigest}, {"platform", res.Platform}}
	if res.EngineID != "" {
		rows = append(rows, [2]string{"engine", res.Tag})
	}
	if res.Pushed != "" {
		rows = append(rows, [2]string{"pushed", res.Pushed})
	}
	if res.OCILayout != "" {
		rows = append(rows, [2]string{"oci layout", res.OCILayout + tagSuffix(res.Tag)})
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

func tagSuffix(tag string) string {
	if tag == "" {
		return ""
	}
	return " (" + tag + ")"
}

// resolveResult is what `flavor image resolve` reports.
type resolveResult struct {
	Ref            string `json:"ref"`
	Platform       string `json:"platform"`
	ImageID        string `json:"image_id"`
	ManifestDigest string `json:"manifest_digest,omitempty"`
	Source         string `json:"source"`
}

func imageResolve(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return fmt.Errorf("image resolve: want one REF argument, got %d", c.NArg())
	}
	p, err := platform.Parse(c.String("platform"))
	if err != nil {
		return fmt.Errorf("image resolve: --platform: %w", err)
	}
	opts := []oci.Option{oci.WithLogger(o.logger())}
	var store oci.ImageStore
	if !c.Bool("no-engine") {
		d, err := openEngine(c, o.logger())
		if err != nil {
			return err
		}
		defer d.Close()
		store = d
	}
	r, err := oci.NewResolver(store, opts...)
	if err != nil {
		return err
	}
	res, err := r.Resolve(c.Context, c.Args().First(), p)
	if err != nil {
		return err
	}
	out := resolveResult{Ref: res.Ref, Platform: res.Platform.String(), ImageID: res.ImageID.String(), Source: res.Source.String()}
	if res.Manifest.Hex != "" {
		out.ManifestDigest = res.Manifest.String()
	}
	if o.json {
		return writeJSON(c.App.Writer, out)
	}
	fmt.Fprintf(c.App.Writer, "%s  %s  %s  from %s\n", out.ImageID, out.Platform, out.Ref, out.Source)
	return nil
}
