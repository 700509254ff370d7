package specs

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/flavor-dev/flavor/specs/version"
)

// runtimeYAML is a package's identity and runtime fields, shared by definition.yaml (or a
// collection entry) and build.yaml's subpackages.
type runtimeYAML struct {
	Name        string            `yaml:"name"`
	Category    string            `yaml:"category"`
	Version     string            `yaml:"version"`
	Requires    []refYAML         `yaml:"requires"`
	Conflicts   []refYAML         `yaml:"conflicts"`
	Provides    []refYAML         `yaml:"provides"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]any    `yaml:"annotations"`
	Description string            `yaml:"description"`
	License     string            `yaml:"license"`
	URI         []string          `yaml:"uri"`
	Hidden      bool              `yaml:"hidden"`
}

// newPackage returns a package with r's identity and runtime fields set.
func (r runtimeYAML) newPackage() *Package {
	return &Package{
		Name:        strings.TrimSpace(r.Name),
		Category:    strings.TrimSpace(r.Category),
		Version:     strings.TrimSpace(r.Version),
		Requires:    refs(r.Requires),
		Conflicts:   refs(r.Conflicts),
		Provides:    refs(r.Provides),
		Labels:      r.Labels,
		Annotations: normalizeMap(r.Annotations),
		Description: r.Description,
		License:     r.License,
		URI:         r.URI,
		Hidden:      r.Hidden,
	}
}

// definitionYAML is the part of definition.yaml (or of a collection entry) we read; any other
// key is a template value, as in Luet.
type definitionYAML struct {
	runtimeYAML `yaml:",inline"`
	Flags       flagsYAML     `yaml:"flags"`
	Variants    []variantYAML `yaml:"variants"`
}

func (d definitionYAML) validate() error {
	if strings.TrimSpace(d.Name) == "" {
		return fmt.Errorf("a package needs a name")
	}
	return checkRef(Ref{Name: strings.TrimSpace(d.Name), Category: strings.TrimSpace(d.Category)})
}

// collectionYAML is collection.yaml; its entries are checked one by one as definitions.
type collectionYAML struct {
	Packages []yaml.Node `yaml:"packages"`
}

// collectionKeys is collectionYAML's shape for the checker (entries are checked later).
type collectionKeys struct {
	Packages []any `yaml:"packages"`
}

// entry is one package definition: a definition.yaml or one collection entry.
type entry struct {
	file       string
	line       int
	def        definitionYAML
	raw        map[string]any
	collection bool
}

func readEntries(path string, collection bool) ([]entry, error) {
	data, _, err := readOptional(path)
	if err != nil {
		return nil, err
	}
	return parseEntries(path, data, collection)
}

// parseEntries reads the packages a definition.yaml or collection.yaml defines.
func parseEntries(path string, data []byte, collection bool) ([]entry, error) {
	root, err := yamlDoc(path, data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, specErr(path, 0, nil, "empty file: a package needs at least a name")
	}
	if !collection {
		e, err := readEntry(path, root)
		if err != nil {
			return nil, err
		}
		return []entry{e}, nil
	}
	c := &checker{file: path}
	if err := c.check(root, typeOf[collectionKeys](), "", false); err != nil {
		return nil, err
	}
	var col collectionYAML
	if err := root.Decode(&col); err != nil {
		return nil, specErr(path, root.Line, nil, "decoding: %v", err)
	}
	if len(col.Packages) == 0 {
		return nil, specErr(path, root.Line, nil, `a collection needs a "packages" list`)
	}
	out := make([]entry, 0, len(col.Packages))
	for i := range col.Packages {
		e, err := readEntry(path, &col.Packages[i])
		if err != nil {
			return nil, err
		}
		e.collection = true
		out = append(out, e)
	}
	return out, nil
}

func readEntry(path string, n *yaml.Node) (entry, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return entry{}, specErr(path, n.Line, nil, "a package definition must be a mapping with at least a name, not %s", kindName(n))
	}
	c := &checker{file: path}
	e := entry{file: path, line: n.Line}
	if err := c.decode(n, &e.def, true); err != nil {
		return entry{}, err
	}
	if err := n.Decode(&e.raw); err != nil {
		return entry{}, specErr(path, n.Line, nil, "decoding: %v", err)
	}
	e.raw = normalizeMap(e.raw)
	return e, nil
}

// loadDir reads one package directory and renders each of its packages.
func (l *loader) loadDir(ctx context.Context, w *worker, d pkgDir) ([]*Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var entries []entry
	for _, f := range []struct {
		name string
		on   bool
	}{{collectionFile, d.collection}, {definitionFile, d.definition}} {
		if !f.on {
			continue
		}
		es, err := readEntries(filepath.Join(d.dir, f.name), f.name == collectionFile)
		if err != nil {
			return nil, err
		}
		entries = append(entries, es...)
	}
	build, err := parseOptional(w, filepath.Join(d.dir, buildFile))
	if err != nil {
		return nil, err
	}
	final, err := parseOptional(w, filepath.Join(d.dir, finalizeFile))
	if err != nil {
		return nil, err
	}
	var out []*Package
	for _, e := range entries {
		pkgs, err := l.makePackage(d, e, build, final)
		if err != nil {
			return nil, err
		}
		out = append(out, pkgs...)
	}
	return out, nil
}

// source is a parsed template file and whether its text holds template actions (so line
// numbers in errors are those of the rendered text).
type source struct {
	c        *compiled
	path     string
	actions  bool
	rendered bool
}

func parseOptional(w *worker, path string) (*source, error) {
	data, ok, err := readOptional(path)
	if err != nil || !ok {
		return nil, err
	}
	c, err := w.parse(path, string(data))
	if err != nil {
		return nil, err
	}
	return &source{c: c, path: path, actions: strings.Contains(string(data), "{{")}, nil
}

// render executes a template for one package and returns its YAML root and a checker that
// reports lines of the source file.
func (s *source) render(data *templateData, hints keyHints) (*yaml.Node, *checker, error) {
	out, prefix, err := s.c.execute(data)
	if err != nil {
		return nil, nil, err
	}
	c := &checker{file: s.path, hints: hints, lineOffset: prefix, rendered: s.actions || len(s.c.w.roots) > 0}
	root, err := yamlDoc(s.path, out)
	if err != nil {
		if se, ok := err.(*SpecError); ok && c.rendered {
			se.Msg += " (line of the rendered template)"
			se.Line = max(0, se.Line-prefix)
		}
		return nil, nil, err
	}
	return root, c, nil
}

// makePackage turns one entry into its package (and its subpackages), rendering build.yaml and
// finalize.yaml with the entry's values.
func (l *loader) makePackage(d pkgDir, e entry, build, final *source) ([]*Package, error) {
	p := e.def.newPackage()
	p.Flags = map[string]bool(e.def.Flags)
	p.Dir, p.Tree, p.File, p.Line = d.dir, d.tree, e.file, e.line
	p.Collection, p.entry = e.collection, e.raw
	if p.Flags == nil {
		p.Flags = map[string]bool{}
	}
	variants, err := checkVariants(p.Flags, e.def.Variants)
	if err != nil {
		return nil, specErr(e.file, e.line, nil, "%v", err)
	}
	p.Variants = variants
	p.version, _ = version.Parse(p.Version)
	p.platform = l.opts.platform
	flavor, err := flavorFlags(p.Name, p.Flags, l.opts.flavor)
	if err != nil {
		return nil, err
	}
	p.Flavor = flavor
	p.Values = mergeValues(e.raw, l.values)
	data := &templateData{
		Values:   p.Values,
		Flavor:   p.Flavor,
		Platform: l.opts.platform,
		Package:  packageInfo{Name: p.Name, Category: p.Category, Version: p.Version},
	}
	for_ := ""
	if e.collection {
		for_ = " (for " + p.ID() + ")"
	}
	p.Spec = &Spec{Delta: DeltaChanged}
	var subs []subpackageYAML
	if build != nil {
		root, c, err := build.render(data, buildHints)
		if err != nil {
			return nil, annotate(err, for_)
		}
		var b buildYAML
		if err := c.decode(root, &b, false); err != nil {
			return nil, annotate(err, for_)
		}
		p.Spec = b.spec()
		subs = b.Subpackages
	}
	if final != nil {
		root, c, err := final.render(data, nil)
		if err != nil {
			return nil, annotate(err, for_)
		}
		var f finalizeYAML
		if err := c.decode(root, &f, false); err != nil {
			return nil, annotate(err, for_)
		}
		p.Finalizer = &Finalizer{Install: f.Install, Shell: f.Shell, Uninstall: f.Uninstall}
	}
	out := []*Package{p}
	for i, s := range subs {
		sp := s.newPackage()
		sp.Flags, sp.Flavor, sp.Values = map[string]bool{}, map[string]bool{}, p.Values
		sp.Parent, sp.Split = p, &p.Spec.Subpackages[i]
		sp.Dir, sp.Tree, sp.File, sp.Collection = p.Dir, p.Tree, build.path, p.Collection
		// A subpackage without a category or version takes its parent's.
		if sp.Category == "" {
			sp.Category = p.Category
		}
		if sp.Version == "" {
			sp.Version = p.Version
		}
		sp.version, _ = version.Parse(sp.Version)
		out = append(out, sp)
	}
	return out, nil
}

// annotate appends which collection entry was being rendered to a SpecError.
func annotate(err error, suffix string) error {
	if se, ok := err.(*SpecError); ok && suffix != "" {
		cp := *se
		cp.Msg += suffix
		return &cp
	}
	return err
}
