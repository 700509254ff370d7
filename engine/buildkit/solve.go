package buildkit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"

	"github.com/flavor-dev/flavor/delta"
	"github.com/flavor-dev/flavor/engine"
)

// solve is the solves of one Solve call: they share the graph's local sources and count the
// run ops buildkitd executed. With a registry cache, each imports the job's own tag (its export
// is mode=max, so it holds the stages of the jobs it builds on too; importing their tags as well
// made buildkitd miss the cache of a chain's later stages here).
type solve struct {
	c *Client
	g *graph
	j *engine.Job

	// lastRun is the name of the job's last run op ("" when it runs no command); ranDone is
	// closed when the first solve's status shows it completed.
	lastRun  string
	ranDone  chan struct{}
	ranClose sync.Once

	mu   sync.Mutex
	ran  map[digest.Digest]bool
	fail *engine.StepFailed
}

// lastRun names j's last run op: its steps', else its prelude's, else none.
func lastRun(j *engine.Job) string {
	switch {
	case len(j.Steps) > 0:
		return runPrefix + "steps of " + j.Package + " for " + j.Platform.String()
	case len(j.Prelude) > 0:
		return runPrefix + "prelude of " + j.Package + " for " + j.Platform.String()
	}
	return ""
}

func ociExport(dir string) client.ExportEntry {
	return client.ExportEntry{Type: client.ExporterOCI, OutputDir: dir,
		Attrs: map[string]string{"tar": "false", "compression": "uncompressed"}}
}

// exportTar solves st into a tar file in dir and returns it open at its start.
func (s *solve) exportTar(ctx context.Context, st llb.State, dir string, first bool) (*os.File, error) {
	f, err := os.CreateTemp(dir, "fs-*.tar")
	if err != nil {
		return nil, err
	}
	ex := client.ExportEntry{Type: client.ExporterTar,
		Output: func(map[string]string) (io.WriteCloser, error) { return nopCloser{f}, nil }}
	if err := s.run(ctx, st, ex, first); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// exportTree solves st and unpacks its file system into out with delta.Apply (the tar
// exporter: BuildKit's local exporter stalled on a whole Debian root here).
func (s *solve) exportTree(ctx context.Context, st llb.State, dir, out string) error {
	f, err := s.exportTar(ctx, st, dir, false)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return delta.Apply(ctx, out, f)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// run solves st with one export, reporting the run ops' output and turning a failing command
// into a *engine.StepFailed. The first solve of a Solve call exports the registry cache and is
// the one whose status is watched.
// Cancelling ctx cancels the solve (buildkitd kills the running command).
func (s *solve) run(ctx context.Context, st llb.State, ex client.ExportEntry, first bool) error {
	j := s.j
	def, err := st.Marshal(ctx, llb.Platform(ociPlatform(j)))
	if err != nil {
		return fmt.Errorf("building %s: %w", j.Package, err)
	}
	opt := client.SolveOpt{Exports: []client.ExportEntry{ex}, LocalMounts: s.g.locals}
	if s.c.cacheRepo != "" {
		if j.CacheTag != "" {
			opt.CacheImports = append(opt.CacheImports, client.CacheOptionsEntry{Type: "registry",
				Attrs: map[string]string{"ref": s.c.cacheRepo + ":" + j.CacheTag}})
		}
		if first && j.CacheTag != "" {
			opt.CacheExports = []client.CacheOptionsEntry{{Type: "registry",
				Attrs: map[string]string{"ref": s.c.cacheRepo + ":" + j.CacheTag, "mode": "max"}}}
		}
	}
	// Only the first solve runs commands; the others find them in buildkitd's cache and run
	// beside each other, unwatched.
	var ch chan *client.SolveStatus
	done := make(chan struct{})
	if first {
		ch = make(chan *client.SolveStatus)
		go func() {
			defer close(done)
			s.watch(ch)
		}()
	} else {
		close(done)
	}
	_, err = s.c.c.Solve(ctx, def, opt, ch)
	<-done
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("building %s: stopped: %w", j.Package, context.Cause(ctx))
		}
		s.mu.Lock()
		failed := s.fail
		s.mu.Unlock()
		if failed != nil {
			return failed
		}
		return fmt.Errorf("building %s on %s: %w", j.Package, s.c.Name(), explain(err, s.c.addr))
	}
	return nil
}

// explain adds the fix to errors a user can act on.
func explain(err error, addr string) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "failed to resolve source metadata") || strings.Contains(msg, "pull access denied") ||
		strings.Contains(msg, "not found") && strings.Contains(msg, "docker-image://"):
		return fmt.Errorf("%w (buildkitd at %s pulls images itself: push the image to a registry it can reach, e.g. the local one at 127.0.0.1:5000, and name it there)", err, addr)
	}
	return err
}

// vertexJob says which job and stage a run op's name belongs to.
func (s *solve) vertexJob(name string) (*engine.Job, string) {
	rest, ok := strings.CutPrefix(name, runPrefix)
	if !ok {
		return nil, ""
	}
	stage, rest, _ := strings.Cut(rest, " of ")
	pkg, plat, ok := strings.Cut(rest, " for ")
	if !ok {
		return nil, ""
	}
	if stage == "steps" {
		stage = "step"
	}
	return s.g.jobs[pkg+" "+plat], stage
}

// watch reads the solve's status: it counts the run ops that executed (those whose script
// logged a start line) and turns their logs into the jobs' Output events, line by line per run
// op.
func (s *solve) watch(ch chan *client.SolveStatus) {
	type stream struct {
		j       *engine.Job
		stage   string
		partial []byte
		index   int
		blank   bool // an empty line held back (the script prints one before a failure marker)
		ran     bool
	}
	streams := map[digest.Digest]*stream{}
	names := map[digest.Digest]string{}
	emit := func(st *stream, line string) {
		if rest, ok := strings.CutPrefix(line, startMarker); ok {
			stage, n, _ := strings.Cut(rest, ":")
			if i, err := strconv.Atoi(n); err == nil && stage == st.stage {
				st.index = i
				lines := commands(st.j, stage)
				if st.j.Report != nil && i >= 1 && i <= len(lines) {
					st.j.Report(engine.Output{Package: st.j.Package, Stage: stage, Index: i, Count: len(lines), Command: lines[i-1], Start: true})
				}
				return
			}
		}
		if f := parseMarker(st.j, line); f != nil {
			st.blank = false
			s.mu.Lock()
			if s.fail == nil {
				s.fail = f
			}
			s.mu.Unlock()
			return
		}
		if st.blank && st.j.Report != nil {
			lines := commands(st.j, st.stage)
			st.j.Report(engine.Output{Package: st.j.Package, Stage: st.stage, Index: st.index, Count: len(lines), Line: ""})
		}
		st.blank = line == ""
		if line != "" && st.j.Report != nil {
			lines := commands(st.j, st.stage)
			st.j.Report(engine.Output{Package: st.j.Package, Stage: st.stage, Index: st.index, Count: len(lines), Line: line})
		}
	}
	for ss := range ch {
		for _, v := range ss.Vertexes {
			names[v.Digest] = v.Name
			if s.lastRun != "" && v.Name == s.lastRun && v.Completed != nil {
				s.ranClose.Do(func() { close(s.ranDone) })
			}
		}
		for _, l := range ss.Logs {
			st := streams[l.Vertex]
			if st == nil {
				j, stage := s.vertexJob(names[l.Vertex])
				if j == nil {
					continue
				}
				st = &stream{j: j, stage: stage}
				streams[l.Vertex] = st
			}
			// The script prints a start line before its first command: a run op that logs one
			// executed (a cached one, local or from a registry, runs nothing and logs nothing;
			// buildkitd reports a registry-cache hit as completed and not cached).
			if !st.ran && bytes.Contains(l.Data, []byte(startMarker)) {
				st.ran = true
				s.mu.Lock()
				if s.ran == nil {
					s.ran = map[digest.Digest]bool{}
				}
				s.ran[l.Vertex] = true
				s.mu.Unlock()
			}
			st.partial = append(st.partial, l.Data...)
			for {
				i := bytes.IndexByte(st.partial, '\n')
				if i < 0 {
					break
				}
				line := string(st.partial[:i])
				st.partial = st.partial[i+1:]
				emit(st, line)
			}
		}
	}
	for _, st := range streams {
		if len(st.partial) > 0 {
			emit(st, string(st.partial))
		}
	}
}

// executed is how many run ops buildkitd executed (not served from its cache).
func (s *solve) executed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ran)
}

func commands(j *engine.Job, stage string) []string {
	if stage == "prelude" {
		return j.Prelude
	}
	return j.Steps
}

// parseMarker turns a failure line of script into a *engine.StepFailed.
func parseMarker(j *engine.Job, line string) *engine.StepFailed {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), failedMarker)
	if !ok {
		return nil
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return nil
	}
	i, err1 := strconv.Atoi(parts[1])
	code, err2 := strconv.Atoi(parts[2])
	lines := commands(j, parts[0])
	if err1 != nil || err2 != nil || i < 1 || i > len(lines) || (parts[0] != "prelude" && parts[0] != "step") {
		return nil
	}
	return &engine.StepFailed{Package: j.Package, Stage: parts[0], Index: i, Count: len(lines), Command: lines[i-1], ExitCode: code}
}
