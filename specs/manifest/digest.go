package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
)

// canonical is the manifest as the digest sees it: fixed key order, defaults filled in,
// systems sorted, flavors in canonical form (flavor.Flavor.Key), paths as written.
type canonical struct {
	SchemaVersion string            `json:"schema-version"`
	Package       Package           `json:"package"`
	Options       canonicalOptions  `json:"options"`
	Install       []canonicalEntry  `json:"install"`
	Vars          map[string]string `json:"vars"`
	Hook          Hook              `json:"hook"`
	Execution     Execution         `json:"execution"`
	Slots         []Slot            `json:"slots"`
	Signing       Signing           `json:"signing"`
	Metadata      map[string]any    `json:"metadata"`
	Python        *Python           `json:"python,omitempty"`
}

type canonicalOptions struct {
	Systems []string `json:"systems"`
	Flavor  string   `json:"flavor"`
	Trees   []string `json:"trees"`
	Values  []string `json:"values"`
}

type canonicalEntry struct {
	ID       string   `json:"id"`
	PkgPath  string   `json:"pkg-path"`
	Version  string   `json:"version"`
	PkgGroup string   `json:"pkg-group"`
	Systems  []string `json:"systems"`
	Flavor   string   `json:"flavor"`
}

func sortedCopy(s []string) []string {
	if s == nil {
		return nil
	}
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// digestOf computes Manifest.Digest. It fails only for metadata JSON cannot hold (NaN, ±Inf).
func digestOf(m *Manifest) (string, error) {
	c := canonical{
		SchemaVersion: m.schema,
		Package:       m.pkg,
		Options: canonicalOptions{
			Systems: sortedCopy(m.options.Systems),
			Flavor:  m.options.Flavor.Key(),
			Trees:   m.options.Trees,
			Values:  m.options.Values,
		},
		Vars:      map[string]string{},
		Hook:      m.hook,
		Execution: m.exec,
		Slots:     m.slots,
		Signing:   m.signing,
		Metadata:  m.metadata,
		Python:    m.python,
	}
	for _, in := range m.install {
		c.Install = append(c.Install, canonicalEntry{
			ID: in.ID, PkgPath: in.PkgPath, Version: in.Version, PkgGroup: in.PkgGroup,
			Systems: sortedCopy(in.Systems), Flavor: in.Flavor.Key(),
		})
	}
	for _, v := range m.vars {
		c.Vars[v.Name] = v.Raw
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return "", fmt.Errorf("encoding the manifest for its digest: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
