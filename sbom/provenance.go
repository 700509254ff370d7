package sbom

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// In-toto and SLSA identifiers the provenance uses.
const (
	StatementType  = "https://in-toto.io/Statement/v1"
	PredicateSLSA1 = "https://slsa.dev/provenance/v1"
	BuildType      = "https://flavor.dev/buildtypes/pack/v1"
	BuilderID      = "https://github.com/flavor-dev/flavor"
)

// Statement is an in-toto v1 statement with a SLSA provenance v1 predicate.
type Statement struct {
	Type          string     `json:"_type"`
	Subject       []Subject  `json:"subject"`
	PredicateType string     `json:"predicateType"`
	Predicate     Provenance `json:"predicate"`
}

// Subject is an artifact the statement is about.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Provenance is the SLSA provenance v1 predicate.
type Provenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition says what was built and from what.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   map[string]any       `json:"externalParameters"`
	InternalParameters   map[string]any       `json:"internalParameters,omitempty"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
}

// ResourceDescriptor names an input by URI, name and digest.
type ResourceDescriptor struct {
	URI         string            `json:"uri,omitempty"`
	Name        string            `json:"name,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
}

// RunDetails says who built it and when.
type RunDetails struct {
	Builder  BuilderInfo    `json:"builder"`
	Metadata *BuildMetadata `json:"metadata,omitempty"`
}

// BuilderInfo identifies the builder.
type BuilderInfo struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// BuildMetadata holds the (clamped) build times.
type BuildMetadata struct {
	StartedOn  string `json:"startedOn,omitempty"`
	FinishedOn string `json:"finishedOn,omitempty"`
}

// SlotSubjects are the package's described slots as subjects: "slot/<id>" with the SHA-256
// of the slot's decoded content.
func (d *Description) SlotSubjects() []Subject {
	var out []Subject
	for _, s := range d.Slots {
		if s.Embedded || s.Content == "" {
			continue
		}
		out = append(out, Subject{Name: "slot/" + s.ID, Digest: map[string]string{"sha256": s.Content}})
	}
	return out
}

// Provenance writes the in-toto statement about subjects (SlotSubjects when nil).
func (d *Description) Provenance(subjects []Subject) ([]byte, error) {
	if subjects == nil {
		subjects = d.SlotSubjects()
	}
	if subjects == nil {
		subjects = []Subject{}
	}
	b := d.Build
	ext := map[string]any{"platform": d.Platform}
	if b.Manifest != "" {
		ext["manifest"] = b.Manifest
	}
	if d.Flavor != "" {
		ext["flavor"] = d.Flavor
	}
	var internal map[string]any
	if b.Engine != "" {
		internal = map[string]any{"engine": b.Engine}
	}
	var deps []ResourceDescriptor
	add := func(name, uri, digest string, ann map[string]any) {
		rd := ResourceDescriptor{Name: name, URI: uri, Annotations: ann}
		if alg, hex, ok := strings.Cut(digest, ":"); ok && hex != "" {
			rd.Digest = map[string]string{alg: hex}
		}
		if rd.Digest != nil || rd.URI != "" {
			deps = append(deps, rd)
		}
	}
	add(b.Manifest, "", b.ManifestDigest, nil)
	add("flavor.lock", "", b.LockDigest, nil)
	add("launcher "+d.Platform, "", b.Launcher, nil)
	comps := append([]Component(nil), d.Components...)
	sort.SliceStable(comps, func(i, j int) bool { return comps[i].Ref < comps[j].Ref })
	for _, c := range comps {
		switch c.Kind {
		case KindImage:
			name, digest, _ := strings.Cut(c.ImageRef, "@")
			add(name, "oci://"+c.ImageRef, digest, nil)
		case KindSpec:
			ann := map[string]any{}
			for k, v := range map[string]string{"cache_key": c.CacheKey, "artifact_digest": c.ArtifactDigest, "flavor": c.Flavor} {
				if v != "" {
					ann[k] = v
				}
			}
			digest := c.SpecDigest
			if digest == "" {
				// A runtime dependency the lock does not pin by spec: named by its artifact.
				digest = c.ArtifactDigest
				ann["digest_of"] = "artifact"
			}
			if len(ann) == 0 {
				ann = nil
			}
			add(fmt.Sprintf("spec:%s/%s@%s", c.Category, c.Name, c.Version), "", digest, ann)
		}
	}
	st := Statement{
		Type: StatementType, Subject: subjects, PredicateType: PredicateSLSA1,
		Predicate: Provenance{
			BuildDefinition: BuildDefinition{
				BuildType: BuildType, ExternalParameters: ext, InternalParameters: internal,
				ResolvedDependencies: deps,
			},
			RunDetails: RunDetails{Builder: BuilderInfo{ID: BuilderID, Version: map[string]string{"flavor": d.ToolVersion}}},
		},
	}
	if b.Started != nil || b.Finished != nil {
		md := &BuildMetadata{}
		if b.Started != nil {
			md.StartedOn = clamp(*b.Started, d.Created).Format(time.RFC3339)
		}
		if b.Finished != nil {
			md.FinishedOn = clamp(*b.Finished, d.Created).Format(time.RFC3339)
		}
		st.Predicate.RunDetails.Metadata = md
	}
	return encode(st)
}

// clamp limits t to the source date epoch, when there is one.
func clamp(t time.Time, epoch *time.Time) time.Time {
	t = t.UTC().Truncate(time.Second)
	if epoch != nil && t.After(*epoch) {
		return epoch.UTC().Truncate(time.Second)
	}
	return t
}
