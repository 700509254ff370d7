package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs"
)

// treeCommand is `flavor tree list|deps|order`: queries on spec trees.
func treeCommand() *cli.Command {
	return &cli.Command{
		Name:  "tree",
		Usage: "query spec trees: packages, resolved dependencies, build order",
		Subcommands: []*cli.Command{
			{
				Name:   "list",
				Usage:  "list every package (cat/name@version), with its flavor when --flavors",
				Flags:  treeFlags(),
				Action: treeList,
			},
			{
				Name:      "deps",
				Usage:     "show a package's resolved build dependencies and runtime closure",
				ArgsUsage: "PKG",
				Flags:     treeFlags(),
				Action:    treeDeps,
			},
			{
				Name:      "order",
				Usage:     "show the build order of packages and the levels that can build in parallel",
				ArgsUsage: "PKG...",
				Flags:     treeFlags(),
				Action:    treeOrder,
			},
		},
	}
}

func treeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "tree", Aliases: []string{"t"}, Usage: "spec tree `DIR` (repeatable; default: the current directory)"},
		&cli.StringSliceFlag{Name: "values", Usage: "values `FILE` merged over definition keys (repeatable; the rightmost wins)"},
		&cli.StringFlag{Name: "platform", Usage: "target `PLATFORM` the specs are rendered for, e.g. linux/arm64 (default: linux on this machine's architecture)"},
		&cli.StringFlag{Name: "flavor", Usage: "requested `FLAVOR` flags, e.g. \"ssl,!debug\""},
		&cli.BoolFlag{Name: "flavors", Usage: "show each package's flavor"},
		&cli.BoolFlag{Name: "strict", Usage: "make what luet ignores (unknown keys, repeated keys, odd names, unorderable versions) errors, and fail when the trees have any problem"},
	}
}

// treeOptions turns the command's flags into specs.Load options.
func treeOptions(c *cli.Context) ([]specs.Option, error) {
	var opts []specs.Option
	if v := c.StringSlice("values"); len(v) > 0 {
		opts = append(opts, specs.WithValuesFiles(v...))
	}
	if p := c.String("platform"); p != "" {
		pl, err := platform.Parse(p)
		if err != nil {
			return nil, fmt.Errorf("--platform: %w", err)
		}
		opts = append(opts, specs.WithPlatform(pl))
	}
	if f := c.String("flavor"); f != "" {
		opts = append(opts, specs.WithFlavor(f))
	}
	if c.Bool("strict") {
		opts = append(opts, specs.WithStrict(true))
	}
	return opts, nil
}

// treeLoad loads the trees the flags name and reports their problems on the error writer. A
// problem is the problem of the packages it concerns: the command goes on with the others (and
// fails when it needs one of them), unless --strict asks for a tree without problems.
func treeLoad(c *cli.Context, o *output) (*specs.Tree, error) {
	opts, err := treeOptions(c)
	if err != nil {
		return nil, err
	}
	tr, err := specs.Load(c.Context, c.StringSlice("tree"), opts...)
	if err != nil {
		return nil, err
	}
	problems := tr.Problems()
	reportProblems(o, problems)
	if c.Bool("strict") && len(problems) > 0 {
		return nil, fmt.Errorf("the trees have %d problem(s), listed above (--strict)", len(problems))
	}
	return tr, nil
}

// reportProblems prints a tree's problems, each once, and how many packages they leave out.
func reportProblems(o *output, problems []specs.Problem) {
	if len(problems) == 0 {
		return
	}
	warnings, errs := 0, 0
	left := map[string]bool{}
	for _, p := range problems {
		if p.Warning {
			warnings++
			if warnings <= maxWarnings || o.verbose {
				o.warnf("%v%s", p.Err, packagesNote(p.Packages, ""))
			}
			continue
		}
		errs++
		for _, id := range p.Packages {
			left[id] = true
		}
		fmt.Fprintf(o.err, "flavor: error: %v%s\n", p.Err, packagesNote(p.Packages, "left out: "))
	}
	if warnings > maxWarnings && !o.verbose {
		fmt.Fprintf(o.err, "flavor: %d more warning(s) not shown (--verbose shows them all)\n", warnings-maxWarnings)
	}
	fmt.Fprintf(o.err, "flavor: %d error(s) leaving out %d package(s), %d warning(s); the other packages loaded (--strict makes warnings errors and fails)\n", errs, len(left), warnings)
}

// maxWarnings is how many warnings are printed without --verbose: a published tree that merges
// whole packages into references has hundreds of the same kind. Errors are always printed.
const maxWarnings = 20

func packagesNote(ids []string, prefix string) string {
	if len(ids) == 0 {
		return ""
	}
	return " [" + prefix + strings.Join(ids, ", ") + "]"
}

// treeRefs parses the package arguments.
func treeRefs(c *cli.Context, min, max int) ([]specs.Ref, error) {
	args := c.Args().Slice()
	if len(args) < min || (max > 0 && len(args) > max) {
		return nil, fmt.Errorf("flavor tree %s: want %s, got %d argument(s)", c.Command.Name, c.Command.ArgsUsage, len(args))
	}
	refs := make([]specs.Ref, 0, len(args))
	for _, a := range args {
		r, err := specs.ParseRef(a)
		if err != nil {
			return nil, err
		}
		refs = append(refs, r)
	}
	return refs, nil
}

type treePackage struct {
	ID           string          `json:"id"`
	Category     string          `json:"category"`
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Fingerprint  string          `json:"fingerprint"`
	Dir          string          `json:"dir"`
	SubpackageOf string          `json:"subpackage_of,omitempty"`
	Flavor       *string         `json:"flavor,omitempty"`
	Flags        map[string]bool `json:"flags,omitempty"`
}

func treeList(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() > 0 {
		return fmt.Errorf("flavor tree list takes no arguments (got %q)", c.Args().Slice())
	}
	tr, err := treeLoad(c, o)
	if err != nil {
		return err
	}
	flavors := c.Bool("flavors")
	var out []treePackage
	for _, p := range tr.Packages() {
		tp := treePackage{ID: p.ID(), Category: p.Category, Name: p.Name, Version: p.Version, Fingerprint: p.Fingerprint(), Dir: p.Dir}
		if p.Parent != nil {
			tp.SubpackageOf = p.Parent.ID()
		}
		if flavors {
			f := p.FlavorString()
			tp.Flavor, tp.Flags = &f, p.Flags
		}
		out = append(out, tp)
	}
	w := c.App.Writer
	if o.json {
		if out == nil {
			out = []treePackage{}
		}
		return writeJSON(w, out)
	}
	for _, tp := range out {
		line := tp.ID
		if tp.Flavor != nil && *tp.Flavor != "" {
			line += " [" + *tp.Flavor + "]"
		}
		if tp.SubpackageOf != "" {
			line += " (subpackage of " + tp.SubpackageOf + ")"
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

func treeIDs(ps []*specs.Package, skip *specs.Package) []string {
	out := []string{}
	for _, p := range ps {
		if p != skip {
			out = append(out, p.ID())
		}
	}
	return out
}

func treeDeps(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	refs, err := treeRefs(c, 1, 1)
	if err != nil {
		return err
	}
	tr, err := treeLoad(c, o)
	if err != nil {
		return err
	}
	p, err := tr.Lookup(refs[0])
	if err != nil {
		return err
	}
	// A subpackage is built by its parent: show the parent's build dependencies.
	builder := p
	if p.Parent != nil {
		builder = p.Parent
	}
	build, err := tr.Resolve(c.Context, builder.Ref())
	if err != nil {
		return err
	}
	runtime, err := tr.ResolveRuntime(c.Context, p.Ref())
	if err != nil {
		return err
	}
	result := struct {
		Package string   `json:"package"`
		BuiltBy string   `json:"built_by,omitempty"`
		Build   []string `json:"build"`
		Join    []string `json:"join,omitempty"`
		Runtime []string `json:"runtime"`
	}{Package: p.ID(), Build: treeIDs(build.Order(), builder), Runtime: treeIDs(runtime.Order(), p)}
	if builder.Spec.RequiresFinalImages {
		result.Join = treeIDs(build.Join(builder), nil)
	}
	if builder != p {
		result.BuiltBy = builder.ID()
	}
	w := c.App.Writer
	if o.json {
		return writeJSON(w, result)
	}
	fmt.Fprintln(w, result.Package)
	if result.BuiltBy != "" {
		fmt.Fprintf(w, "built by %s\n", result.BuiltBy)
	}
	fmt.Fprintln(w, "build dependencies, in build order:")
	treeIndented(w, result.Build)
	if result.Join != nil {
		fmt.Fprintln(w, "artifacts joined into the build root (requires_final_images):")
		treeIndented(w, result.Join)
	}
	fmt.Fprintln(w, "runtime dependencies:")
	treeIndented(w, result.Runtime)
	return nil
}

func treeIndented(w io.Writer, ids []string) {
	if len(ids) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, id := range ids {
		fmt.Fprintln(w, "  "+id)
	}
}

func treeOrder(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	refs, err := treeRefs(c, 1, -1)
	if err != nil {
		return err
	}
	tr, err := treeLoad(c, o)
	if err != nil {
		return err
	}
	res, err := tr.Resolve(c.Context, refs...)
	if err != nil {
		return err
	}
	result := struct {
		Targets []string   `json:"targets"`
		Order   []string   `json:"order"`
		Levels  [][]string `json:"levels"`
	}{Targets: treeIDs(res.Targets(), nil), Order: treeIDs(res.Order(), nil), Levels: [][]string{}}
	for _, l := range res.Levels() {
		result.Levels = append(result.Levels, treeIDs(l, nil))
	}
	w := c.App.Writer
	if o.json {
		return writeJSON(w, result)
	}
	fmt.Fprintln(w, "build order:")
	for i, id := range result.Order {
		fmt.Fprintf(w, "  %d. %s\n", i+1, id)
	}
	fmt.Fprintln(w, "levels (packages of one level can build in parallel):")
	for i, l := range result.Levels {
		fmt.Fprintf(w, "  %d: %s\n", i, strings.Join(l, " "))
	}
	return nil
}
