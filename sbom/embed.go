package sbom

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/flavor-dev/flavor/packer"
)

// Formats of the documents.
const (
	FormatSPDX       = "spdx"
	FormatCycloneDX  = "cyclonedx"
	FormatProvenance = "provenance"
)

// Formats lists every format, in the order the slots are written.
var Formats = []string{FormatSPDX, FormatCycloneDX, FormatProvenance}

// EmbeddedSlot is where a document lives in a .psp: a gzip single-file slot with lifecycle
// "lazy", which the launcher never extracts (no {slot:N} placeholder names it). FlavorPack's
// launchers extract every slot, so they put it at Target, inside the workenv.
type EmbeddedSlot struct {
	Format string
	ID     string
	Target string
}

// Lifecycle is the lifecycle of the document slots.
const Lifecycle = "lazy"

// EmbeddedSlots are the document slots, in the order Formats lists them.
var EmbeddedSlots = []EmbeddedSlot{
	{FormatSPDX, "flavor.sbom.spdx", ".flavor/sbom.spdx.json"},
	{FormatCycloneDX, "flavor.sbom.cyclonedx", ".flavor/sbom.cdx.json"},
	{FormatProvenance, "flavor.provenance", ".flavor/provenance.intoto.json"},
}

// SlotOf returns the slot of a format.
func SlotOf(format string) (EmbeddedSlot, bool) {
	for _, s := range EmbeddedSlots {
		if s.Format == format {
			return s, true
		}
	}
	return EmbeddedSlot{}, false
}

// IsEmbeddedSlot reports whether a slot id is one of the document slots.
func IsEmbeddedSlot(id string) bool {
	for _, s := range EmbeddedSlots {
		if s.ID == id {
			return true
		}
	}
	return false
}

// ParseFormats reads a comma-separated list of formats ("spdx,cyclonedx").
func ParseFormats(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch f {
		case "":
			continue
		case "cdx":
			f = FormatCycloneDX
		}
		if _, ok := SlotOf(f); !ok {
			return nil, fmt.Errorf("unknown SBOM format %q (use spdx, cyclonedx or provenance): %w", f, ErrFormat)
		}
		out = append(out, f)
	}
	return out, nil
}

// ErrFormat: an unknown document format.
var ErrFormat = errors.New("unknown format")

// ErrNoDocument: the package carries no such document (a FlavorPack-built package, or one
// packed without an SBOM).
var ErrNoDocument = errors.New("the package carries no such document")

// ErrMismatch: an embedded document does not describe the slots it sits beside.
var ErrMismatch = errors.New("SBOM does not match the package's slots")

// Document is the document of a format: the one render makes for this description.
func (d *Description) Document(format string) ([]byte, error) {
	switch format {
	case FormatSPDX:
		return d.SPDX()
	case FormatCycloneDX:
		return d.CycloneDX()
	case FormatProvenance:
		return d.Provenance(nil)
	}
	return nil, fmt.Errorf("document %q: %w", format, ErrFormat)
}

// Embedded returns the document of format a package carries, verified against the signed
// metadata as it is read; ErrNoDocument when it has none.
func Embedded(ctx context.Context, p *packer.Package, format string) ([]byte, error) {
	es, ok := SlotOf(format)
	if !ok {
		return nil, fmt.Errorf("document %q: %w", format, ErrFormat)
	}
	for i := 0; i < p.NumSlots(); i++ {
		if info, ok := p.SlotInfo(i); ok && info.ID == es.ID {
			b, err := p.ReadSlot(ctx, i)
			if err != nil {
				return nil, fmt.Errorf("reading the %s document (slot %d): %w", format, i, err)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", format, ErrNoDocument)
}

// HasEmbedded lists the formats whose slots a package has, from its metadata alone.
func HasEmbedded(m *packer.Metadata) []string {
	var out []string
	for _, es := range EmbeddedSlots {
		for _, s := range m.Slots {
			if s.ID == es.ID {
				out = append(out, es.Format)
				break
			}
		}
	}
	return out
}

// Read describes any package from its signed metadata and its slots, decoded and verified:
// the files-only SBOM (and the Python distributions whose *.dist-info ship), for packages that
// carry none of their own.
func Read(ctx context.Context, p *packer.Package) (*Description, error) {
	m := p.Metadata()
	d := &Description{
		Name: m.Package.Name, Version: m.Package.Version, Description: m.Package.Description,
		PublicKey: hex.EncodeToString(p.PublicKey()), ToolVersion: "dev",
	}
	if b, ok := m.Extra["platform"]; ok {
		d.Platform = strings.Trim(string(b), `"`)
	}
	tool := "an unknown writer"
	if m.Build != nil && m.Build.Tool != "" {
		tool = m.Build.Tool
	}
	d.Notes = append(d.Notes, "files only: read from the package's slots; the package (written by "+tool+") carries no SBOM of its own")
	for i := 0; i < p.NumSlots(); i++ {
		info, _ := p.SlotInfo(i)
		s, err := scanSlot(ctx, p, i, info)
		if err != nil {
			return nil, err
		}
		d.Slots = append(d.Slots, s.Slot)
		for _, py := range s.python {
			c := FromPkgdb(py, info.ID)
			d.Components = append(d.Components, c)
		}
		d.Slots[len(d.Slots)-1].Files = assignOwners(s.Files, s.python)
	}
	return d, nil
}

type scannedSlot struct {
	Slot
	python []pkgdbPackage
}

// scanSlot decodes slot i and records its files.
func scanSlot(ctx context.Context, p *packer.Package, i int, info packer.SlotInfo) (scannedSlot, error) {
	out := scannedSlot{Slot: Slot{Index: i, ID: info.ID, Target: info.Target, Embedded: IsEmbeddedSlot(info.ID)}}
	rc, err := p.OpenSlot(ctx, i)
	if err != nil {
		return out, err
	}
	defer rc.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(rc, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return out, fmt.Errorf("reading slot %d (%s): %w", i, info.ID, err)
	}
	r := io.MultiReader(bytes.NewReader(head[:n]), rc)
	var sc Scanned
	if n >= 262 && string(head[257:262]) == "ustar" {
		sc, err = ScanTar(ctx, r)
	} else {
		sc, err = ScanFile(ctx, r, info.Target)
	}
	if err != nil {
		return out, fmt.Errorf("slot %d (%s): %w", i, info.ID, err)
	}
	out.Content, out.Files, out.python = sc.Content, sc.Files, sc.Python
	return out, nil
}
