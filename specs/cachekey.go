package specs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"regexp"
	"sort"

	"github.com/flavor-dev/flavor/platform"
)

// cacheKeyFormat names the encoding below; change it whenever what goes into a key changes.
const cacheKeyFormat = "flavor-cache-key/v1"

// CacheInputs is everything a package's build depends on. CacheKey turns it into a key; the same
// inputs always give the same key, and any change to one of them gives another.
type CacheInputs struct {
	Spec       []byte            // Package.Canonical(): the rendered spec, not the raw text
	Files      string            // Package.DirDigest(): the content of the package directory
	BaseImage  string            // digest of the base image (image:); "" when the root comes from dependencies
	CopyImages []string          // digests of the images copy entries read from, in spec order
	Platform   platform.Platform // target platform
	Flavor     string            // Package.FlavorString()
	Deps       []string          // cache keys of the direct build dependencies (Resolution.Deps), any order
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// CacheKey returns the cache key of a build, "sha256:<hex>": a digest over the inputs in a
// canonical order (dependency keys sorted). Unlike Luet's image tags it does not depend on
// unrelated packages that happen to share dependencies (Luet issue #187), includes the platform
// and the base image digest, and covers only the collection entry being built (issue #287).
func CacheKey(in CacheInputs) (string, error) {
	if len(in.Spec) == 0 {
		return "", fmt.Errorf("computing cache key: no spec")
	}
	if !digestPattern.MatchString(in.Files) {
		return "", fmt.Errorf("computing cache key: package files digest %q is not sha256:<hex>", in.Files)
	}
	if in.BaseImage != "" && !digestPattern.MatchString(in.BaseImage) {
		return "", fmt.Errorf("computing cache key: base image digest %q is not sha256:<hex>", in.BaseImage)
	}
	if in.Platform.OS == "" || in.Platform.Arch == "" {
		return "", fmt.Errorf("computing cache key: no platform")
	}
	for _, d := range in.CopyImages {
		if !digestPattern.MatchString(d) {
			return "", fmt.Errorf("computing cache key: copy image digest %q is not sha256:<hex>", d)
		}
	}
	deps := append([]string(nil), in.Deps...)
	sort.Strings(deps)
	for _, d := range deps {
		if !digestPattern.MatchString(d) {
			return "", fmt.Errorf("computing cache key: dependency key %q is not sha256:<hex>", d)
		}
	}
	h := sha256.New()
	field(h, []byte(cacheKeyFormat))
	field(h, in.Spec)
	field(h, []byte(in.Files))
	field(h, []byte(in.BaseImage))
	count(h, len(in.CopyImages))
	for _, d := range in.CopyImages {
		field(h, []byte(d))
	}
	field(h, []byte(in.Platform.String()))
	field(h, []byte(in.Flavor))
	count(h, len(deps))
	for _, d := range deps {
		field(h, []byte(d))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// field writes a length-prefixed value, so no two different input lists share an encoding.
func field(h hash.Hash, b []byte) {
	count(h, len(b))
	h.Write(b)
}

func count(h hash.Hash, n int) {
	var buf [binary.MaxVarintLen64]byte
	h.Write(buf[:binary.PutUvarint(buf[:], uint64(n))])
}

// canonicalPackage is what Canonical encodes: everything the build and its artifact take from
// the package's files after templating.
type canonicalPackage struct {
	Name        string            `json:"name"`
	Category    string            `json:"category"`
	Version     string            `json:"version"`
	Entry       map[string]any    `json:"entry"`
	Requires    []Ref             `json:"requires"`
	Conflicts   []Ref             `json:"conflicts"`
	Provides    []Ref             `json:"provides"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]any    `json:"annotations"`
	Description string            `json:"description"`
	License     string            `json:"license"`
	URI         []string          `json:"uri"`
	Hidden      bool              `json:"hidden"`
	Spec        *Spec             `json:"spec"`
	Finalizer   *Finalizer        `json:"finalizer"`
	Split       *Subpackage       `json:"split,omitempty"`
	Parent      json.RawMessage   `json:"parent,omitempty"`
}

// Canonical returns the package in canonical form for its cache key: its identity, its
// definition (or collection entry), runtime relations, and its build.yaml and finalize.yaml as
// rendered, encoded as JSON with sorted map keys. Comments, key order and formatting of the
// files do not change it; a value that changes a rendered field does. A subpackage includes
// its parent's form.
func (p *Package) Canonical() []byte {
	c := canonicalPackage{
		Name: p.Name, Category: p.Category, Version: p.Version, Entry: p.entry,
		Requires: p.Requires, Conflicts: p.Conflicts, Provides: p.Provides,
		Labels: p.Labels, Annotations: p.Annotations, Description: p.Description,
		License: p.License, URI: p.URI, Hidden: p.Hidden,
		Spec: p.Spec, Finalizer: p.Finalizer, Split: p.Split,
	}
	if p.Parent != nil {
		c.Parent = p.Parent.Canonical()
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		// Every field is plain data decoded from YAML; failing here is a bug.
		panic(fmt.Sprintf("encoding %s canonically: %v", p.ID(), err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// ImageDigester returns the digest of an image reference for a platform; the build
// orchestration implements it with the oci package.
type ImageDigester func(ctx context.Context, image string, platform platform.Platform) (string, error)

// CacheKeys computes the cache key of every package of a build resolution, dependencies first,
// from Canonical, DirDigest, the digests digest returns for image: and copy images, the
// platform, the flavor and the keys of each package's Deps. It is the one implementation of the
// key (Luet issue #271 came from having two).
func (r *Resolution) CacheKeys(ctx context.Context, digest ImageDigester) (map[*Package]string, error) {
	keys := make(map[*Package]string, len(r.order))
	for _, p := range r.order {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("computing cache keys: %w", err)
		}
		files, err := p.DirDigest(ctx)
		if err != nil {
			return nil, fmt.Errorf("computing the cache key of %s: %w", p.ID(), err)
		}
		in := CacheInputs{Spec: p.Canonical(), Files: files, Platform: r.platform, Flavor: p.FlavorString()}
		if p.Spec.Image != "" {
			if in.BaseImage, err = digest(ctx, p.Spec.Image, r.platform); err != nil {
				return nil, fmt.Errorf("computing the cache key of %s: digest of %s: %w", p.ID(), p.Spec.Image, err)
			}
		}
		for _, c := range p.Spec.Copy {
			if c.Image == "" {
				continue
			}
			d, err := digest(ctx, c.Image, r.platform)
			if err != nil {
				return nil, fmt.Errorf("computing the cache key of %s: digest of %s: %w", p.ID(), c.Image, err)
			}
			in.CopyImages = append(in.CopyImages, d)
		}
		for _, d := range r.deps[p] {
			in.Deps = append(in.Deps, keys[d])
		}
		if keys[p], err = CacheKey(in); err != nil {
			return nil, fmt.Errorf("computing the cache key of %s: %w", p.ID(), err)
		}
	}
	return keys, nil
}
