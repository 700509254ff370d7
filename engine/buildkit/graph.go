package buildkit

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"

	"github.com/flavor-dev/flavor/engine"
)

// runPrefix starts the name of every run op flavor makes, so the solve's status tells which
// of them ran and which the cache served.
const runPrefix = "flavor "

// graph turns jobs (and the jobs they build on) into LLB states, each job once.
type graph struct {
	memo      map[*engine.Job][2]llb.State
	locals    map[string]fsutil.FS // name → host directory, for SolveOpt.LocalMounts
	localDirs map[string]string    // host directory + skip → name
	jobs      map[string]*engine.Job
}

func newGraph() *graph {
	return &graph{memo: map[*engine.Job][2]llb.State{}, locals: map[string]fsutil.FS{},
		localDirs: map[string]string{}, jobs: map[string]*engine.Job{}}
}

func ociPlatform(j *engine.Job) ocispecs.Platform {
	return ocispecs.Platform{OS: j.Platform.OS, Architecture: j.Platform.Arch, Variant: j.Platform.Variant}
}

// local names host directory dir (without the paths in skip) as a local source of the solve.
func (g *graph) local(dir string, skip []string) (llb.State, error) {
	key := dir + "\x00" + strings.Join(skip, "\x00")
	name, ok := g.localDirs[key]
	if !ok {
		fs, err := fsutil.NewFS(dir)
		if err != nil {
			return llb.State{}, fmt.Errorf("reading %s: %w", dir, err)
		}
		name = fmt.Sprintf("dir%d", len(g.locals))
		g.locals[name] = fs
		g.localDirs[key] = name
	}
	var opts []llb.LocalOption
	if len(skip) > 0 {
		pats := make([]string, len(skip))
		for i, s := range skip {
			pats[i] = escapePattern(s)
		}
		opts = append(opts, llb.ExcludePatterns(pats))
	}
	return llb.Local(name, opts...), nil
}

// escapePattern makes a path a pattern that matches only itself.
func escapePattern(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stages returns j's builder and package states.
func (g *graph) stages(j *engine.Job) (bst, pst llb.State, err error) {
	if s, ok := g.memo[j]; ok {
		return s[0], s[1], nil
	}
	if prev, ok := g.jobs[j.Package+" "+j.Platform.String()]; ok && prev != j {
		return bst, pst, fmt.Errorf("two different jobs for %s on %s in one graph", j.Package, j.Platform)
	}
	g.jobs[j.Package+" "+j.Platform.String()] = j
	p := ociPlatform(j)
	var st llb.State
	switch {
	case j.From != nil && j.Image == "" && len(j.RootLayers) == 0:
		if _, st, err = g.stages(j.From); err != nil {
			return bst, pst, err
		}
	case j.Image != "" && j.From == nil && len(j.RootLayers) == 0:
		st = llb.Image(j.Image, llb.Platform(p))
	case len(j.RootLayers) > 0 && j.From == nil && j.Image == "":
		if st, err = g.layers(j, p); err != nil {
			return bst, pst, err
		}
	default:
		return bst, pst, errors.New("a job needs exactly one root: From, Image or RootLayers")
	}
	for _, e := range j.Env {
		k, v, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			return bst, pst, fmt.Errorf("env entry %q: want KEY=VALUE", e)
		}
		st = st.AddEnv(k, v)
	}
	work := path.Clean("/" + j.WorkDir)
	st = st.Dir(work)
	if j.Context != "" {
		src, err := g.local(j.Context, j.ContextSkip)
		if err != nil {
			return bst, pst, err
		}
		// Owned by root, as Docker's COPY of a build context makes it.
		st = st.File(llb.Copy(src, "/", work, &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true}, llb.WithUIDGID(0, 0)),
			llb.WithCustomName("the package directory of "+j.Package))
	}
	for i, c := range j.Copies {
		var from llb.State
		switch {
		case c.From != nil:
			if _, from, err = g.stages(c.From); err != nil {
				return bst, pst, err
			}
		case c.Image != "":
			from = llb.Image(c.Image, llb.Platform(p))
		default:
			return bst, pst, fmt.Errorf("copy %d: no package and no image to copy from", i+1)
		}
		src := path.Clean("/" + c.Source)
		dst := c.Destination
		if strings.HasSuffix(dst, "/") || dst == "" {
			dst = path.Join(dst, path.Base(src))
		}
		dst = path.Clean("/" + dst)
		if dst == "/" {
			return bst, pst, fmt.Errorf("copy %d (%s → %s): the destination cannot be /", i+1, c.Source, c.Destination)
		}
		st = st.File(llb.Copy(from, src, dst, &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true}),
			llb.WithCustomName(fmt.Sprintf("copy %d of %s", i+1, j.Package)))
	}
	for i, a := range j.Archives {
		src, err := g.local(filepath.Dir(a), nil)
		if err != nil {
			return bst, pst, err
		}
		// BuildKit's unpack of a local archive is Docker's ADD of one: the owners, modes and
		// times its entries record.
		st = st.File(llb.Copy(src, "/"+filepath.Base(a), work+"/", &llb.CopyInfo{AttemptUnpack: true, CreateDestPath: true}),
			llb.WithCustomName(fmt.Sprintf("retrieve %d of %s", i+1, j.Package)))
	}
	if len(j.Prelude) > 0 {
		st = st.Run(llb.Args([]string{"/bin/sh", "-c", script("prelude", work, j.Prelude)}),
			llb.WithCustomName(runPrefix+"prelude of "+j.Package+" for "+j.Platform.String())).Root()
	}
	pkg := st
	if len(j.Steps) > 0 {
		pkg = st.Run(llb.Args([]string{"/bin/sh", "-c", script("step", work, j.Steps)}),
			llb.WithCustomName(runPrefix+"steps of "+j.Package+" for "+j.Platform.String())).Root()
	}
	g.memo[j] = [2]llb.State{st, pkg}
	return st, pkg, nil
}

// layers makes j's root from its RootLayers with llb.Merge: each layer is its directory copied
// onto scratch (owners, modes and times as the directory has them), and runs of layers merge
// in one MergeOp; a layer's removals apply to what the layers before it merged.
func (g *graph) layers(j *engine.Job, p ocispecs.Platform) (llb.State, error) {
	var merged []llb.State
	flush := func() llb.State {
		if len(merged) == 1 {
			return merged[0]
		}
		return llb.Merge(merged, llb.WithCustomName(fmt.Sprintf("merging the requires of %s", j.Package))).Platform(p)
	}
	for i, l := range j.RootLayers {
		if len(l.Remove) > 0 && len(merged) > 0 {
			var rm *llb.FileAction
			for _, r := range l.Remove {
				rp := path.Clean("/" + r)
				if rp == "/" {
					return llb.State{}, fmt.Errorf("layer %d of %s removes /", i+1, j.Package)
				}
				if rm == nil {
					rm = llb.Rm(rp, &llb.RmInfo{AllowNotFound: true})
				} else {
					rm = rm.Rm(rp, &llb.RmInfo{AllowNotFound: true})
				}
			}
			merged = []llb.State{flush().File(rm, llb.WithCustomName(fmt.Sprintf("the removals of layer %d of %s", i+1, j.Package)))}
		}
		src, err := g.local(l.Dir, nil)
		if err != nil {
			return llb.State{}, err
		}
		merged = append(merged, llb.Scratch().Platform(p).File(
			llb.Copy(src, "/", "/", &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true}),
			llb.WithCustomName(fmt.Sprintf("layer %d of the root of %s", i+1, j.Package))))
	}
	return flush(), nil
}

// The lines a stage script prints around its commands: a start line before each, a failure
// line (stage, index, exit code) before stopping.
const (
	startMarker  = "flavor-buildkit-start:"
	failedMarker = "flavor-buildkit-failed:"
)

// script runs lines in turn, each with /bin/sh -c in the work directory, announcing each with
// a start line and stopping at the first that fails with a failure line naming it. One run op
// per stage keeps a stage one layer, so the package stage's diff is one layer.
func script(stage, workDir string, lines []string) string {
	var b strings.Builder
	b.WriteString("exec 2>&1\n")
	for i, l := range lines {
		fmt.Fprintf(&b, "echo %s%s:%d\n", startMarker, stage, i+1)
		fmt.Fprintf(&b, "cd %s && /bin/sh -c %s || { c=$?; echo; echo %s%s:%d:$c; exit $c; }\n", shq(workDir), shq(l), failedMarker, stage, i+1)
	}
	return b.String()
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
