package sbom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/packer"
)

// Checked is what Check compared.
type Checked struct {
	Formats []string // the documents the package carries and Check compared
	Files   int      // files of the slots
}

// Check compares the documents a package carries with its slots, decoded and verified: every
// file of every described slot must appear in the SPDX and CycloneDX documents with its SHA-256,
// and nothing else; the provenance's slot subjects must name each slot's content digest. A
// package without documents gives ErrNoDocument; a difference, an error wrapping ErrMismatch
// that names the first few.
func Check(ctx context.Context, p *packer.Package) (Checked, error) {
	have := HasEmbedded(p.Metadata())
	if len(have) == 0 {
		return Checked{}, ErrNoDocument
	}
	d, err := Read(ctx, p)
	if err != nil {
		return Checked{}, err
	}
	want := map[string]string{} // slot \x00 path → sha256
	subjects := map[string]string{}
	for _, s := range d.Slots {
		if s.Embedded {
			continue
		}
		subjects["slot/"+s.ID] = s.Content
		for _, f := range s.Files {
			want[s.ID+"\x00"+f.Path] = f.SHA256
		}
	}
	res := Checked{Formats: have, Files: len(want)}
	var problems []string
	for _, format := range have {
		doc, err := Embedded(ctx, p, format)
		if err != nil {
			return res, err
		}
		var got map[string]string
		switch format {
		case FormatSPDX:
			got, err = spdxFiles(doc)
		case FormatCycloneDX:
			got, err = cdxFiles(doc)
		case FormatProvenance:
			var st Statement
			if err = json.Unmarshal(doc, &st); err == nil {
				got = map[string]string{}
				for _, s := range st.Subject {
					if strings.HasPrefix(s.Name, "slot/") {
						got[s.Name] = s.Digest["sha256"]
					}
				}
			}
			problems = append(problems, diff(format, subjects, got)...)
			continue
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", format, err))
			continue
		}
		problems = append(problems, diff(format, want, got)...)
	}
	if len(problems) > 0 {
		more := ""
		if len(problems) > 5 {
			more = fmt.Sprintf(" (and %d more)", len(problems)-5)
			problems = problems[:5]
		}
		return res, fmt.Errorf("%w: %s%s", ErrMismatch, strings.Join(problems, "; "), more)
	}
	return res, nil
}

// diff lists what differs between the slots (want) and a document (got).
func diff(format string, want, got map[string]string) []string {
	var out []string
	keys := make([]string, 0, len(want)+len(got))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.Replace(k, "\x00", ": ", 1)
		w, inWant := want[k]
		g, inGot := got[k]
		switch {
		case !inGot:
			out = append(out, fmt.Sprintf("%s does not list %s", format, name))
		case !inWant:
			out = append(out, fmt.Sprintf("%s lists %s, which the package does not hold", format, name))
		case w != g:
			out = append(out, fmt.Sprintf("%s gives %s sha256 %s, the slot holds %s", format, name, short(g), short(w)))
		}
	}
	return out
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// spdxFiles reads the files of an SPDX JSON document: "slot \x00 path" → sha256, the slot
// from the file comment "slot <id>".
func spdxFiles(doc []byte) (map[string]string, error) {
	var d struct {
		SPDXVersion string `json:"spdxVersion"`
		Files       []struct {
			FileName  string `json:"fileName"`
			Comment   string `json:"comment"`
			Checksums []struct {
				Algorithm string `json:"algorithm"`
				Value     string `json:"checksumValue"`
			} `json:"checksums"`
		} `json:"files"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("not SPDX JSON: %w", err)
	}
	if d.SPDXVersion != "SPDX-2.3" {
		return nil, fmt.Errorf("spdxVersion %q, want SPDX-2.3", d.SPDXVersion)
	}
	out := map[string]string{}
	for _, f := range d.Files {
		slot := strings.TrimPrefix(f.Comment, "slot ")
		for _, c := range f.Checksums {
			if c.Algorithm == "SHA256" {
				out[slot+"\x00"+strings.TrimPrefix(f.FileName, "./")] = c.Value
			}
		}
	}
	return out, nil
}

type cdxComp struct {
	Type       string    `json:"type"`
	Name       string    `json:"name"`
	Hashes     []cdxHash `json:"hashes"`
	Properties []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"properties"`
	Components []cdxComp `json:"components"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

// cdxFiles reads the file components of a CycloneDX JSON BOM, at any depth.
func cdxFiles(doc []byte) (map[string]string, error) {
	var b struct {
		BOMFormat  string    `json:"bomFormat"`
		Components []cdxComp `json:"components"`
	}
	if err := json.Unmarshal(doc, &b); err != nil {
		return nil, fmt.Errorf("not CycloneDX JSON: %w", err)
	}
	if b.BOMFormat != "CycloneDX" {
		return nil, errors.New("bomFormat is not CycloneDX")
	}
	out := map[string]string{}
	var walk func([]cdxComp)
	walk = func(cs []cdxComp) {
		for _, c := range cs {
			if c.Type == "file" {
				slot := ""
				for _, p := range c.Properties {
					if p.Name == "flavor:slot" {
						slot = p.Value
					}
				}
				for _, h := range c.Hashes {
					if h.Alg == "SHA-256" {
						out[slot+"\x00"+c.Name] = h.Content
					}
				}
			}
			walk(c.Components)
		}
	}
	walk(b.Components)
	return out, nil
}
