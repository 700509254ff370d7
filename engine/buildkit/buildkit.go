// Package buildkit builds one package's stages through a BuildKit daemon (buildkitd) with LLB:
// the builder stage (base image, the package directory at /luetbuild, env, prelude) and the
// package stage (steps) as LLB states, and the delta as llb.Diff(builder, package), exported as
// one OCI layer and read with delta.FromLayer. It reads no environment: the caller passes the
// daemon's address.
//
// It is not yet a flavor engine: the builder (builder.Build) does not drive it, and requires,
// copy, retrieve and requires_final_images are not built here (see Job).
package buildkit

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"

	"github.com/flavor-dev/flavor/delta"
	"github.com/flavor-dev/flavor/platform"
)

// DefaultAddr is where integration/setup.sh starts buildkitd.
const DefaultAddr = "unix:///run/flavor-buildkit/buildkitd.sock"

// Client is a connection to one buildkitd.
type Client struct {
	c    *client.Client
	addr string
}

// New connects to the buildkitd at addr (unix://, tcp://) and checks that it answers.
func New(ctx context.Context, addr string) (*Client, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	c, err := client.New(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to buildkitd at %s: %w", addr, err)
	}
	if _, err := c.ListWorkers(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("buildkitd at %s does not answer (start it, e.g. with integration/setup.sh, or give its address): %w", addr, err)
	}
	return &Client{c: c, addr: addr}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.c.Close() }

// Job is one package's build. Image must be reachable by the daemon (a registry it can pull
// from). Context, when set, is the host directory copied to WorkDir.
type Job struct {
	Package  string // for errors and output, e.g. cat/name@1.0
	Image    string
	Platform platform.Platform
	Env      []string // KEY=VALUE, already expanded
	Context  string
	WorkDir  string
	Prelude  []string
	Steps    []string
	// Output receives each line a prelude line or step writes (stderr joined to stdout).
	Output func(line string)
}

// StepError is a prelude line or step that exited non-zero.
type StepError struct {
	Package  string
	Stage    string // "prelude" or "step"
	Index    int    // 1-based
	Count    int
	Command  string
	ExitCode int
}

func (e *StepError) Error() string {
	return fmt.Sprintf("building %s: %s %d of %d `%s` exited with code %d", e.Package, e.Stage, e.Index, e.Count, e.Command, e.ExitCode)
}

// marker is the line the stage script prints before failing: stage, index, exit code.
const marker = "flavor-buildkit-failed:"

// script runs lines in turn, each with /bin/sh -c in the work directory, stopping at the
// first that fails with a marker line naming it. One run op per stage keeps the stage one
// layer, so the diff of the package stage is one layer.
func script(stage, workDir string, lines []string) string {
	var b strings.Builder
	b.WriteString("exec 2>&1\n")
	for i, l := range lines {
		fmt.Fprintf(&b, "cd %s && /bin/sh -c %s || { c=$?; echo %s%s:%d:$c; exit $c; }\n", shq(workDir), shq(l), marker, stage, i+1)
	}
	return b.String()
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// states returns the builder and package states of j.
func (j *Job) states() (builderSt, pkgSt llb.State) {
	p := ocispecs.Platform{OS: j.Platform.OS, Architecture: j.Platform.Arch, Variant: j.Platform.Variant}
	st := llb.Image(j.Image, llb.Platform(p))
	for _, e := range j.Env {
		k, v, _ := strings.Cut(e, "=")
		st = st.AddEnv(k, v)
	}
	st = st.Dir(j.WorkDir)
	if j.Context != "" {
		st = st.File(llb.Copy(llb.Local("context"), "/", j.WorkDir, &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true}))
	}
	if len(j.Prelude) > 0 {
		st = st.Run(llb.Args([]string{"/bin/sh", "-c", script("prelude", j.WorkDir, j.Prelude)}), llb.WithCustomName(j.Package+" prelude")).Root()
	}
	pkg := st
	if len(j.Steps) > 0 {
		pkg = st.Run(llb.Args([]string{"/bin/sh", "-c", script("step", j.WorkDir, j.Steps)}), llb.WithCustomName(j.Package+" steps")).Root()
	}
	return st, pkg
}

// Delta builds j and returns the delta of its steps over the builder stage, as the Docker
// engine's overlay delta gives it.
func (c *Client) Delta(ctx context.Context, j Job, tmp string, opts ...delta.Option) (*delta.Tree, error) {
	bst, pst := j.states()
	dir, err := os.MkdirTemp(tmp, "flavor-buildkit-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	// The builder stage's filesystem is the base the layer is read against.
	baseDir := dir + "/base"
	if err := c.exportBase(ctx, j, bst, baseDir); err != nil {
		return nil, err
	}
	layoutDir := dir + "/oci"
	if err := c.solve(ctx, j, llb.Diff(bst, pst), client.ExportEntry{Type: client.ExporterOCI, OutputDir: layoutDir,
		Attrs: map[string]string{"tar": "false", "compression": "uncompressed"}}); err != nil {
		return nil, err
	}
	layer, err := topLayer(layoutDir)
	if err != nil {
		return nil, fmt.Errorf("building %s: reading the exported diff: %w", j.Package, err)
	}
	defer layer.Close()
	return delta.FromLayer(ctx, layer, delta.LowerDirs([]string{baseDir}), opts...)
}

// exportBase writes the filesystem of st into dir through the tar exporter (the local
// exporter's file sync stalled on a whole Debian root here).
func (c *Client) exportBase(ctx context.Context, j Job, st llb.State, dir string) error {
	f, err := os.CreateTemp(filepath.Dir(dir), "base-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := c.solve(ctx, j, st, client.ExportEntry{Type: client.ExporterTar,
		Output: func(map[string]string) (io.WriteCloser, error) { return nopCloser{f}, nil }}); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := untar(f, dir); err != nil {
		return fmt.Errorf("building %s: unpacking the builder stage: %w", j.Package, err)
	}
	return nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// untar unpacks a filesystem tar into dir with owners, modes and times.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	type dirTime struct {
		path string
		t    time.Time
	}
	var dirs []dirTime
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.Clean("/" + h.Name)
		if name == "/" {
			continue
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.Mkdir(dst, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			dirs = append(dirs, dirTime{dst, h.ModTime})
		case tar.TypeReg:
			w, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, tr)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, dst); err != nil {
				return err
			}
		case tar.TypeLink:
			if err := os.Link(filepath.Join(dir, filepath.Clean("/"+h.Linkname)), dst); err != nil {
				return err
			}
			continue
		default:
			continue // devices and fifos: not compared by content
		}
		if err := os.Lchown(dst, h.Uid, h.Gid); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeSymlink {
			if err := os.Chmod(dst, fs.FileMode(h.Mode).Perm()|modeBits(h.Mode)); err != nil {
				return err
			}
			if err := os.Chtimes(dst, h.ModTime, h.ModTime); err != nil {
				return err
			}
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(dirs[i].path, dirs[i].t, dirs[i].t); err != nil {
			return err
		}
	}
	return nil
}

// modeBits turns a tar header's setuid, setgid and sticky bits into fs.FileMode ones.
func modeBits(m int64) fs.FileMode {
	var out fs.FileMode
	if m&0o4000 != 0 {
		out |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= fs.ModeSticky
	}
	return out
}

// topLayer returns the one layer of the image in an OCI layout directory.
func topLayer(dir string) (io.ReadCloser, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) != 1 {
		return nil, fmt.Errorf("%d manifests, want 1", len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	if len(layers) != 1 {
		return nil, fmt.Errorf("the diff has %d layers, want 1", len(layers))
	}
	return layers[0].Uncompressed()
}

// solve solves st with one export, streaming the run ops' output to j.Output and turning a
// failing line into a *StepError. Cancelling ctx cancels the solve.
func (c *Client) solve(ctx context.Context, j Job, st llb.State, ex client.ExportEntry) error {
	p := ocispecs.Platform{OS: j.Platform.OS, Architecture: j.Platform.Arch, Variant: j.Platform.Variant}
	def, err := st.Marshal(ctx, llb.Platform(p))
	if err != nil {
		return fmt.Errorf("building %s: %w", j.Package, err)
	}
	opt := client.SolveOpt{Exports: []client.ExportEntry{ex}}
	if j.Context != "" {
		fs, err := fsutil.NewFS(j.Context)
		if err != nil {
			return fmt.Errorf("building %s: the package directory: %w", j.Package, err)
		}
		opt.LocalMounts = map[string]fsutil.FS{"context": fs}
	}
	ch := make(chan *client.SolveStatus)
	var failed *StepError
	done := make(chan struct{})
	go func() {
		defer close(done)
		var partial []byte
		for s := range ch {
			for _, l := range s.Logs {
				partial = append(partial, l.Data...)
				for {
					i := bytes.IndexByte(partial, '\n')
					if i < 0 {
						break
					}
					line := string(partial[:i])
					partial = partial[i+1:]
					if e := parseMarker(j, line); e != nil {
						failed = e
						continue
					}
					if j.Output != nil {
						j.Output(line)
					}
				}
			}
		}
		if len(partial) > 0 && j.Output != nil {
			j.Output(string(partial))
		}
	}()
	_, err = c.c.Solve(ctx, def, opt, ch)
	<-done
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("building %s: stopped: %w", j.Package, context.Cause(ctx))
		}
		if failed != nil {
			return failed
		}
		if strings.Contains(err.Error(), j.Image) {
			return fmt.Errorf("building %s: buildkitd at %s cannot pull %s (push the image to a registry the daemon can reach, e.g. the local one at 127.0.0.1:5000): %w", j.Package, c.addr, j.Image, err)
		}
		return fmt.Errorf("building %s: %w", j.Package, err)
	}
	return nil
}

// parseMarker turns a marker line of script into a *StepError.
func parseMarker(j Job, line string) *StepError {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), marker)
	if !ok {
		return nil
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return nil
	}
	i, err1 := strconv.Atoi(parts[1])
	code, err2 := strconv.Atoi(parts[2])
	lines := j.Steps
	if parts[0] == "prelude" {
		lines = j.Prelude
	}
	if err1 != nil || err2 != nil || i < 1 || i > len(lines) {
		return nil
	}
	return &StepError{Package: j.Package, Stage: parts[0], Index: i, Count: len(lines), Command: lines[i-1], ExitCode: code}
}
