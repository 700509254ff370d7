package builder

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/flavor-dev/flavor/delta"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
)

// ErrNotPullable is an image a solver (BuildKit) cannot use: found only in a container engine,
// an OCI layout or an archive, where the daemon does not look.
var ErrNotPullable = errors.New("the builder daemon cannot pull this image")

// solverFor returns the solver that builds packages of p, nil when containers of the engine do.
func (b *builder) solverFor(p platform.Platform) engine.Solver {
	if s, ok := b.o.solvers[p.Normalize().String()]; ok {
		return s
	}
	return b.o.solvers[""]
}

// solverJobs are the jobs of one Build, each node's once, and the directories they use.
type solverJobs struct {
	mu   sync.Mutex
	jobs map[*node]*jobOnce
	dirs []string
	tail map[string]*lineWriter // per package and platform: the last lines, for StepError
}

// cleanup removes the jobs' temporary directories.
func (s *solverJobs) cleanup() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.dirs {
		os.RemoveAll(d)
	}
	s.dirs = nil
}

// solveArtifacts builds n through its platform's solver and writes its artifacts to out:
// the solver runs n's stages (and what they build on) as one graph; the tree is read from the
// diff layer and the builder stage (delta), the whole root (unpack) or one directory
// (package_dir), with the filters the container path uses.
func (b *builder) solveArtifacts(ctx context.Context, n *node, out string) error {
	s := b.solverFor(n.platform)
	spec := n.pkg.Spec
	b.rep.send(progress.Event{Stage: StageBuild, Package: n.id(), Platform: n.platform.String(), Message: "on " + s.Name()})
	job, err := b.job(ctx, n)
	if err != nil {
		return err
	}
	opts, err := b.deltaOptions(n)
	if err != nil {
		return err
	}
	want := engine.Want{Kind: engine.WantDelta, Files: distroFiles}
	strategy := deltaStrategy(spec)
	dir := path.Clean("/" + spec.PackageDir)
	switch {
	case spec.PackageDir != "":
		want.Kind, want.Dir, strategy = engine.WantDir, dir, "package_dir"
	case spec.Unpack:
		want.Kind, strategy = engine.WantRoot, "unpack"
	}
	sol, err := s.Solve(ctx, job, want)
	if err != nil {
		return b.solveError(ctx, n, err)
	}
	defer sol.Close()
	b.executed.Add(int64(sol.Executed))
	b.rep.send(progress.Event{Stage: StageExtract, Package: n.id(), Platform: n.platform.String()})
	if n.distro, err = readDistroDir(ctx, n, sol.Files); err != nil {
		return err
	}
	open := func(ctx context.Context) (*delta.Tree, error) {
		switch want.Kind {
		case engine.WantDir:
			return delta.FromTar(ctx, sol.Tree, append(opts, delta.WithTarRoot(path.Dir(dir)), delta.WithPackageDir(dir))...)
		case engine.WantRoot:
			return delta.FromTar(ctx, sol.Tree, opts...)
		}
		return b.layerTree(ctx, n, sol, opts)
	}
	return b.writeArtifacts(ctx, n, out, open, strategy)
}

// layerTree reads a solution's diff layer against its reverse diff, which tells the builder
// stage only where it differs; when the delta asks about a part of the builder stage it does
// not tell (an odd layer: a parent directory the layer lacks, an opaque directory), it reads
// the layer again against the whole builder stage, which the solver then exports.
func (b *builder) layerTree(ctx context.Context, n *node, sol *engine.Solution, opts []delta.Option) (*delta.Tree, error) {
	fromLayer := func(base delta.Base) (*delta.Tree, error) {
		l, err := sol.Layer()
		if err != nil {
			return nil, fmt.Errorf("reading the diff of %s: %w", n.id(), err)
		}
		defer l.Close()
		return delta.FromLayer(ctx, l, base, opts...)
	}
	r, err := sol.BaseDiff()
	if err != nil {
		return nil, fmt.Errorf("reading the reverse diff of %s: %w", n.id(), err)
	}
	rev, err := delta.ReadReverseDiff(ctx, r, b.o.tempDir)
	r.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the reverse diff of %s: %w", n.id(), err)
	}
	t, err := fromLayer(rev)
	rev.Close()
	if !errors.Is(err, delta.ErrBaseUnknown) {
		return t, err
	}
	b.o.logger.Debug("the reverse diff does not tell the base the delta asks about; exporting the whole builder stage",
		"package", n.id(), "platform", n.platform.String(), "error", err)
	dir, err := sol.Base(ctx)
	if err != nil {
		return nil, err
	}
	return fromLayer(delta.LowerDirs([]string{dir}))
}

// solveError turns a solver's failed command into a *StepError with its last output lines.
func (b *builder) solveError(ctx context.Context, n *node, err error) error {
	var f *engine.StepFailed
	if !errors.As(err, &f) {
		if ctx.Err() != nil {
			return fmt.Errorf("building %s for %s: stopped: %w", n.id(), n.platform, context.Cause(ctx))
		}
		return fmt.Errorf("building %s for %s: %w", n.id(), n.platform, err)
	}
	st := StageStep
	if f.Stage == "prelude" {
		st = StagePrelude
	}
	se := &StepError{Package: f.Package, Platform: n.platform.String(), Stage: st, Index: f.Index, Count: f.Count,
		Command: f.Command, ExitCode: f.ExitCode}
	b.sj.mu.Lock()
	if w := b.sj.tail[f.Package+" "+n.platform.String()]; w != nil {
		se.Output = w.lastLines()
	}
	b.sj.mu.Unlock()
	return se
}

// job returns n's solver job, making it (and the jobs it builds on) once per Build.
func (b *builder) job(ctx context.Context, n *node) (*engine.Job, error) {
	b.sj.mu.Lock()
	o := b.sj.jobs[n]
	if o == nil {
		o = &jobOnce{}
		b.sj.jobs[n] = o
	}
	b.sj.mu.Unlock()
	// Packages building in parallel may share a root or a copy source: its job (retrieve,
	// joined layers, image resolution) is made once.
	o.once.Do(func() { o.j, o.err = b.makeJob(ctx, n) })
	return o.j, o.err
}

// jobOnce is a node's job, made once.
type jobOnce struct {
	once sync.Once
	j    *engine.Job
	err  error
}

// makeJob makes n's solver job (see job).
func (b *builder) makeJob(ctx context.Context, n *node) (*engine.Job, error) {
	spec := n.pkg.Spec
	what := fmt.Sprintf("building %s for %s", n.id(), n.platform)
	archives, err := b.retrieveArchives(ctx, n)
	if err != nil {
		return nil, err
	}
	j := &engine.Job{Archives: archives, Package: n.id(), Platform: n.platform, Context: n.pkg.Dir, ContextSkip: n.pkg.ContextExcludes(),
		WorkDir: workDir, Prelude: spec.Prelude, Steps: spec.Steps, CacheTag: n.hex}
	var rootEnv []string
	switch {
	case spec.Image != "":
		ref, imgEnv, err := b.pullable(ctx, spec.Image, n.platform)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		j.Image, rootEnv = ref, imgEnv
	case spec.RequiresFinalImages:
		layers, err := b.joinLayers(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("%s: making the build root from its requires' artifacts: %w", what, err)
		}
		j.RootLayers, rootEnv = layers, []string{"PATH=" + oci.DefaultPath}
	case n.root != nil:
		from, err := b.job(ctx, n.root)
		if err != nil {
			return nil, err
		}
		j.From, rootEnv = from, from.Env
	default:
		return nil, fmt.Errorf("%s: no image and no requires", what)
	}
	if j.Env, err = solverEnv(n, rootEnv); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	for i, c := range spec.Copy {
		cp := engine.Copy{Source: c.Source, Destination: c.Destination}
		if cn := n.copies[i]; cn != nil {
			if cp.From, err = b.job(ctx, cn); err != nil {
				return nil, err
			}
		} else if cp.Image, _, err = b.pullable(ctx, c.Image, n.platform); err != nil {
			return nil, fmt.Errorf("%s: copy %d (%s → %s): %w", what, i+1, c.Source, c.Destination, err)
		}
		j.Copies = append(j.Copies, cp)
	}
	plat := n.platform.String()
	tail := &lineWriter{emit: func(l string) {
		b.rep.send(progress.Event{Stage: StageOutput, Package: n.id(), Platform: plat, Message: l})
	}}
	j.Report = func(o engine.Output) {
		st := StageStep
		if o.Stage == "prelude" {
			st = StagePrelude
		}
		if o.Start {
			b.rep.send(progress.Event{Stage: st, Package: o.Package, Platform: plat, Done: int64(o.Index), Total: int64(o.Count), Message: o.Command})
			return
		}
		tail.Write([]byte(o.Line + "\n"))
	}
	b.sj.mu.Lock()
	b.sj.tail[n.id()+" "+plat] = tail
	b.sj.mu.Unlock()
	return j, nil
}

// retrieveArchives applies n's retrieve entries as the container path does and keeps each tar
// stream as a file of a temporary directory, in order, for the job to extract; a stream with
// no entry is left out (an empty archive extracts to nothing).
func (b *builder) retrieveArchives(ctx context.Context, n *node) ([]string, error) {
	if len(n.pkg.Spec.Retrieve) == 0 {
		return nil, nil
	}
	dir, err := os.MkdirTemp(b.o.tempDir, "flavor-retrieve-")
	if err != nil {
		return nil, err
	}
	b.sj.mu.Lock()
	b.sj.dirs = append(b.sj.dirs, dir)
	b.sj.mu.Unlock()
	var out []string
	put := func(ctx context.Context, write func(io.Writer) error) error {
		p := filepath.Join(dir, fmt.Sprintf("%03d.tar", len(out)+1))
		entries, err := writeTarFile(p, write)
		if err != nil || entries == 0 {
			os.Remove(p)
			return err
		}
		out = append(out, p)
		return nil
	}
	for _, r := range n.pkg.Spec.Retrieve {
		if err := b.retrieve(ctx, n, r, put); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeTarFile writes the tar stream write makes to file p and reads it back whole, so that a
// broken archive fails here, naming itself, rather than in the daemon; it returns the number
// of entries.
func writeTarFile(p string, write func(io.Writer) error) (int, error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := write(f); err != nil {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	tr := tar.NewReader(f)
	n := 0
	for {
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, f.Close()
		}
		if err != nil {
			return 0, fmt.Errorf("not a valid tar archive: %w", err)
		}
		n++
	}
}

// pullable resolves image for p and returns a reference the solver's daemon pulls (the
// registry name pinned to the manifest digest) and the image's environment.
func (b *builder) pullable(ctx context.Context, image string, p platform.Platform) (string, []string, error) {
	res, err := b.resolve(ctx, image, p)
	if err != nil {
		return "", nil, err
	}
	img, ok := res.Image()
	if res.Source != oci.SourceRegistry || !ok || res.Manifest.Hex == "" {
		return "", nil, fmt.Errorf("image %s (found in %s): %w; push it to a registry the daemon can reach (e.g. 127.0.0.1:5000) and name it there", image, res.Source, ErrNotPullable)
	}
	ref, err := name.ParseReference(strings.TrimPrefix(res.Ref, "docker://"))
	if err != nil {
		return "", nil, fmt.Errorf("image %s: %w", image, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", nil, fmt.Errorf("reading the configuration of image %s: %w", image, err)
	}
	return ref.Context().Digest(res.Manifest.String()).String(), cf.Config.Env, nil
}

// solverEnv is a solver job's whole environment: the root's, then the fixed part, then the
// spec's entries with $VAR and ${VAR} expanded against what comes before them, as the
// container path's expandEnv does (Docker adds HOME=/root and a default PATH to a root that
// has none, so those are what such a reference expands to).
func solverEnv(n *node, root []string) ([]string, error) {
	vars := map[string]string{"HOME": "/root", "PATH": oci.DefaultPath}
	var out []string
	set := func(e string) {
		k, v, _ := strings.Cut(e, "=")
		vars[k] = v
		for i, o := range out {
			if strings.HasPrefix(o, k+"=") {
				out = append(out[:i], out[i+1:]...)
				break
			}
		}
		out = append(out, e)
	}
	for _, e := range root {
		set(e)
	}
	for _, e := range fixedEnv(n) {
		set(e)
	}
	for _, e := range n.pkg.Spec.Env {
		k, v, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("env entry %q: want KEY=VALUE", e)
		}
		set(k + "=" + os.Expand(v, func(name string) string { return vars[name] }))
	}
	return out, nil
}

// solverRuns fails when s lists its platforms and p is not among them.
func solverRuns(s engine.Solver, p platform.Platform) error {
	l, ok := s.(interface{ Platforms() []platform.Platform })
	if !ok {
		return nil
	}
	var names []string
	for _, q := range l.Platforms() {
		if q.Normalize().String() == p.Normalize().String() {
			return nil
		}
		names = append(names, q.String())
	}
	return fmt.Errorf("building for %s: %s does not run %s (it lists %s); give that platform a builder of its own (--builder %s=ADDR) or install the qemu binfmt handler where it runs",
		p, s.Name(), p, strings.Join(names, ", "), p)
}
