package specs

import (
	"context"
	"errors"
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

// entry is one package definition: a definition.yaml or one collection entry. An entry that
// cannot be used has err set, and id as far as it could be read.
type entry struct {
	file       string
	line       int
	def        definitionYAML
	raw        map[string]any
	collection bool
	id         Ref
	err        error
	warns      []*SpecError
}

// parseEntries reads the packages a definition.yaml or collection.yaml defines. An error about
// the whole file (it is not YAML, a collection without packages) is returned as err; a problem
// of one entry stays with that entry. warns are the file's own warnings (collection.yaml's top
// level).
func parseEntries(path string, data []byte, collection, strict bool) (entries []entry, warns []*SpecError, err error) {
	root, err := yamlDoc(path, data)
	if err != nil {
		return nil, nil, err
	}
	if root == nil {
		return nil, nil, specErr(path, 0, nil, "empty file: a package needs at least a name")
	}
	if !collection {
		return []entry{readEntry(path, root, false, strict)}, nil, nil
	}
	c := &checker{file: path, strict: strict}
	top := deref(root)
	if top.Kind == yaml.MappingNode {
		if top, err = c.expandMapping(top, "", false); err != nil {
			return nil, c.warns, err
		}
	}
	if err := c.check(top, typeOf[collectionKeys](), "", false); err != nil {
		return nil, c.warns, err
	}
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "packages" {
			list = deref(top.Content[i+1])
		}
	}
	if list == nil || len(list.Content) == 0 {
		return nil, c.warns, specErr(path, top.Line, nil, `a collection needs a "packages" list`)
	}
	entries = make([]entry, 0, len(list.Content))
	for _, n := range list.Content {
		e := readEntry(path, n, true, strict)
		e.collection = true
		entries = append(entries, e)
	}
	return entries, c.warns, nil
}

// readEntry reads one package definition, with merge keys applied and checked.
func readEntry(path string, n *yaml.Node, inCollection, strict bool) (e entry) {
	c := &checker{file: path, strict: strict, entry: inCollection}
	e = entry{file: path, line: deref(n).Line}
	defer func() { e.warns = c.warns }()
	if m := deref(n); m.Kind == yaml.MappingNode {
		e.id = identity(m)
	}
	x, err := c.expand(n, "")
	if err != nil {
		e.err = err
		return e
	}
	x = deref(x)
	if x.Kind != yaml.MappingNode {
		e.err = specErr(path, x.Line, nil, "a package definition must be a mapping with at least a name, not %s", kindName(x))
		return e
	}
	e.id = identity(x)
	if err := c.check(x, typeOf[definitionYAML](), "", true); err != nil {
		e.err = err
		return e
	}
	if err := x.Decode(&e.def); err != nil {
		e.err = specErr(path, x.Line, nil, "decoding: %v", err)
		return e
	}
	if err := x.Decode(&e.raw); err != nil {
		e.err = specErr(path, x.Line, nil, "decoding: %v", err)
		return e
	}
	e.raw = normalizeMap(e.raw)
	return e
}

// identity reads name, category and version from a definition mapping without checking
// anything else, to name a package whose definition has a problem: the mapping's own keys
// (the last of repeated ones), else those of the mappings it merges.
func identity(m *yaml.Node) Ref {
	var r Ref
	var merged []*yaml.Node
	set := func(dst *string, v *yaml.Node, own bool) {
		if v.Kind == yaml.ScalarNode && (own || *dst == "") {
			*dst = strings.TrimSpace(v.Value)
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], deref(m.Content[i+1])
		switch {
		case k.Tag == "!!merge" && v.Kind == yaml.SequenceNode:
			merged = append(merged, v.Content...)
		case k.Tag == "!!merge":
			merged = append(merged, v)
		case k.Value == "name":
			set(&r.Name, v, true)
		case k.Value == "category":
			set(&r.Category, v, true)
		case k.Value == "version":
			set(&r.Version, v, true)
		}
	}
	for _, n := range merged {
		if n = deref(n); n.Kind == yaml.MappingNode && len(merged) < 100 {
			id := identity(n)
			set(&r.Name, &yaml.Node{Kind: yaml.ScalarNode, Value: id.Name}, false)
			set(&r.Category, &yaml.Node{Kind: yaml.ScalarNode, Value: id.Category}, false)
			set(&r.Version, &yaml.Node{Kind: yaml.ScalarNode, Value: id.Version}, false)
		}
	}
	return r
}

// dirResult is what loading one package directory gives: the packages that loaded, and the
// problems found.
type dirResult struct {
	pkgs     []*Package
	problems []problem
}

// problem is one problem found while loading, before the tree dedupes and sorts them.
type problem struct {
	err     *SpecError
	warning bool
	pkg     string // the package concerned ("cat/name@version"), or ""
	// broken is the identity of the package the error makes unusable; nil for warnings and
	// for errors in a file no package could be read from.
	broken *Ref
}

func (r *dirResult) warn(pkg string, warns []*SpecError) {
	for _, w := range warns {
		r.problems = append(r.problems, problem{err: w, warning: true, pkg: pkg})
	}
}

// fail records err, which makes the package id names unusable (id nil or without a name: a
// package that could not be named).
func (r *dirResult) fail(id *Ref, file string, err error) {
	pr := problem{err: asSpecError(file, err)}
	if id != nil && id.Name != "" {
		pr.broken = id
		pr.pkg = refID(*id)
	}
	r.problems = append(r.problems, pr)
}

// refID renders an identity as Package.ID does.
func refID(r Ref) string { return r.Category + "/" + r.Name + "@" + r.Version }

// asSpecError returns err as a *SpecError, naming file when it is another error.
func asSpecError(file string, err error) *SpecError {
	var se *SpecError
	if errors.As(err, &se) {
		return se
	}
	return specErr(file, 0, err, "reading")
}

// loadDir reads one package directory and renders each of its packages. A problem stays with
// the packages it concerns: the others of the directory load.
func (l *loader) loadDir(ctx context.Context, w *worker, d pkgDir) dirResult {
	var res dirResult
	if ctx.Err() != nil {
		return res
	}
	var entries []entry
	for _, f := range []struct {
		name string
		on   bool
	}{{collectionFile, d.collection}, {definitionFile, d.definition}} {
		if !f.on {
			continue
		}
		path := filepath.Join(d.dir, f.name)
		data, _, err := readOptional(path)
		if err != nil {
			res.fail(nil, path, err)
			continue
		}
		es, warns, err := parseEntries(path, data, f.name == collectionFile, l.opts.strict)
		res.warn("", warns)
		if err != nil {
			res.fail(nil, path, err)
			continue
		}
		entries = append(entries, es...)
	}
	buildPath, finalPath := filepath.Join(d.dir, buildFile), filepath.Join(d.dir, finalizeFile)
	build, buildErr := parseOptional(w, buildPath)
	final, finalErr := parseOptional(w, finalPath)
	for _, e := range entries {
		id := ""
		if e.id.Name != "" {
			id = refID(e.id)
		}
		res.warn(id, e.warns)
		switch {
		case e.err != nil:
			res.fail(&e.id, e.file, e.err)
		case buildErr != nil:
			res.fail(&e.id, buildPath, buildErr)
		case finalErr != nil:
			res.fail(&e.id, finalPath, finalErr)
		default:
			pkgs, warns, err := l.makePackage(d, e, build, final)
			res.warn(id, warns)
			if err != nil {
				res.fail(&e.id, e.file, err)
				continue
			}
			res.pkgs = append(res.pkgs, pkgs...)
		}
	}
	return res
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
func (s *source) render(data *templateData, hints keyHints, strict bool) (*yaml.Node, *checker, error) {
	out, prefix, err := s.c.execute(data)
	if err != nil {
		return nil, nil, err
	}
	c := &checker{file: s.path, hints: hints, strict: strict, lineOffset: prefix, rendered: s.actions || len(s.c.w.roots) > 0}
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
// finalize.yaml with the entry's values. It returns the warnings found on the way.
func (l *loader) makePackage(d pkgDir, e entry, build, final *source) ([]*Package, []*SpecError, error) {
	var warns []*SpecError
	p := e.def.newPackage()
	p.Flags = map[string]bool(e.def.Flags)
	p.Dir, p.Tree, p.File, p.Line = d.dir, d.tree, e.file, e.line
	p.Collection, p.entry = e.collection, e.raw
	if p.Flags == nil {
		p.Flags = map[string]bool{}
	}
	variants, err := checkVariants(p.Flags, e.def.Variants)
	if err != nil {
		return nil, nil, specErr(e.file, e.line, nil, "%v", err)
	}
	p.Variants = variants
	var verr *SpecError
	if p.version, verr = l.parseVersion(p, e.file, e.line); verr != nil {
		if l.opts.strict {
			return nil, nil, verr
		}
		warns = append(warns, verr)
	}
	p.platform = l.opts.platform
	flavor, err := flavorFlags(p.Name, p.Flags, l.opts.flavor)
	if err != nil {
		return nil, nil, err
	}
	p.Flavor = flavor
	p.Values = mergeValues(e.raw, l.values)
	data := &templateData{
		Values:   p.Values,
		Flavor:   p.Flavor,
		Platform: l.opts.platform,
		Package:  packageInfo{Name: p.Name, Category: p.Category, Version: p.Version},
	}
	p.Spec = &Spec{Delta: DeltaChanged}
	var subs []subpackageYAML
	if build != nil {
		root, c, err := build.render(data, buildHints, l.opts.strict)
		if err != nil {
			return nil, nil, err
		}
		var b buildYAML
		err = c.decode(root, &b, false)
		warns = append(warns, c.warns...)
		if err != nil {
			return nil, warns, err
		}
		p.Spec = b.spec()
		subs = b.Subpackages
	}
	if final != nil {
		root, c, err := final.render(data, nil, l.opts.strict)
		if err != nil {
			return nil, warns, err
		}
		var f finalizeYAML
		err = c.decode(root, &f, false)
		warns = append(warns, c.warns...)
		if err != nil {
			return nil, warns, err
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
		if sp.version, verr = l.parseVersion(sp, build.path, 0); verr != nil {
			if l.opts.strict {
				return nil, warns, verr
			}
			warns = append(warns, verr)
		}
		out = append(out, sp)
	}
	return out, warns, nil
}

// parseVersion parses p's version. One that is not a Debian version (it does not start with a
// digit, say) cannot be ordered: luet loads it, but no selector such as ">=0" ever matches it,
// so a requirement on the package fails later with "no version satisfies". Say so at load time.
func (l *loader) parseVersion(p *Package, file string, line int) (version.Version, *SpecError) {
	v, err := version.Parse(p.Version)
	if err == nil {
		return v, nil
	}
	why := strings.TrimPrefix(err.Error(), fmt.Sprintf("parsing version %q: %v: ", p.Version, version.ErrInvalid))
	se := specErr(file, line, nil, "version %q cannot be ordered (%s): no selector such as \">=0\" selects it, only the exact %s does; make it a version that starts with a digit",
		p.Version, why, p.ID())
	if l.opts.strict {
		se.Msg += " (an error because loading is strict)"
	}
	return v, se
}
