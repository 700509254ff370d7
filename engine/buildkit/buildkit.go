// Package buildkit is flavor's BuildKit engine: an [engine.Solver] that builds a package's
// stages on a BuildKit daemon (buildkitd) as LLB. The builder stage (the root: an image, a
// dependency's package stage, or a host directory; the environment; the package directory at
// the work directory; copies; the prelude) and the package stage (the steps) are LLB states;
// the delta is llb.Diff(builder, package) exported as one OCI layer and read against the
// reverse diff, the whole root and one directory are tar exports. It reads no environment: the
// caller passes the daemon's address.
package buildkit

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	// The addresses buildx's drivers give (docker-container://NAME, podman-container://NAME,
	// kube-pod://POD, ssh://HOST), dialled through the docker, podman, kubectl or ssh command.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer"
	_ "github.com/moby/buildkit/client/connhelper/ssh"
	"github.com/moby/buildkit/client/llb"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/platform"
)

// DefaultAddr is where integration/setup.sh starts buildkitd.
const DefaultAddr = "unix:///run/flavor-buildkit/buildkitd.sock"

// Client is a connection to one buildkitd.
type Client struct {
	c         *client.Client
	copts     []client.ClientOpt
	addr      string
	tmp       string
	cacheRepo string
	platforms []platform.Platform
}

var _ engine.Solver = (*Client)(nil)

// Option configures a Client.
type Option func(*Client) error

// WithTempDir places the exported stages in dir (default: the system temporary directory).
func WithTempDir(dir string) Option {
	return func(c *Client) error { c.tmp = dir; return nil }
}

// WithRegistryCache imports and exports the build cache of every job with a CacheTag at
// repo:<tag> in a registry (BuildKit's registry cache, mode=max), so another buildkitd with an
// empty state builds an unchanged job without running its commands.
func WithRegistryCache(repo string) Option {
	return func(c *Client) error {
		if repo == "" || strings.Contains(repo, "@") || strings.HasSuffix(repo, ":") {
			return fmt.Errorf("registry cache %q: want a repository such as 127.0.0.1:5000/flavor/buildcache", repo)
		}
		c.cacheRepo = repo
		return nil
	}
}

// WithTLS connects with TLS: ca verifies the daemon (its certificate must name serverName,
// the address's host when empty), cert and key are the client's certificate, when the daemon
// asks for one. As buildctl's --tlscacert, --tlscert, --tlskey and --tlsservername.
func WithTLS(ca, cert, key, serverName string) Option {
	return func(c *Client) error {
		if ca == "" {
			return fmt.Errorf("buildkit TLS: no CA certificate file")
		}
		if (cert == "") != (key == "") {
			return fmt.Errorf("buildkit TLS: give both the client certificate and its key, or neither")
		}
		for _, f := range []string{ca, cert, key} {
			if f == "" {
				continue
			}
			if _, err := os.Stat(f); err != nil {
				return fmt.Errorf("buildkit TLS: %w", err)
			}
		}
		c.copts = append(c.copts, client.WithServerConfig(serverName, ca))
		if cert != "" {
			c.copts = append(c.copts, client.WithCredentials(cert, key))
		}
		return nil
	}
}

// New connects to the buildkitd at addr (unix://, tcp://, docker-container://,
// podman-container://, kube-pod://, ssh://) and checks that it answers.
func New(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	c := &Client{addr: addr}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	bc, err := client.New(ctx, addr, c.copts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to buildkitd at %s: %w", addr, err)
	}
	workers, err := bc.ListWorkers(ctx)
	if err != nil {
		bc.Close()
		return nil, fmt.Errorf("buildkitd at %s does not answer (start it, e.g. with integration/setup.sh, or give its address): %w", addr, err)
	}
	for _, w := range workers {
		for _, p := range w.Platforms {
			c.platforms = append(c.platforms, platform.Platform{OS: p.OS, Arch: p.Architecture, Variant: p.Variant}.Normalize())
		}
	}
	c.c = bc
	return c, nil
}

// Name says which daemon this is.
func (c *Client) Name() string { return "buildkitd at " + c.addr }

// Platforms are the platforms the daemon's workers list (the native one first, then what it
// runs through emulation).
func (c *Client) Platforms() []platform.Platform { return c.platforms }

// Close closes the connection.
func (c *Client) Close() error { return c.c.Close() }

// Solve builds j and returns what want asks for (see engine.Solver).
func (c *Client) Solve(ctx context.Context, j *engine.Job, want engine.Want) (_ *engine.Solution, err error) {
	g := newGraph()
	bst, pst, err := g.stages(j)
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", j.Package, err)
	}
	dir, err := os.MkdirTemp(c.tmp, "flavor-buildkit-")
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", j.Package, err)
	}
	sol := &engine.Solution{}
	sol.OnClose(func() error { return os.RemoveAll(dir) })
	defer func() {
		if err != nil {
			sol.Close()
		}
	}()
	s := &solve{c: c, g: g, j: j, lastRun: lastRun(j), ranDone: make(chan struct{})}
	if s.lastRun == "" {
		close(s.ranDone) // no command to wait for
	}
	// The first solve runs the commands (and exports the cache): main. What comes after it is
	// served from buildkitd's cache: those solves start once the job's last command is done
	// (seen in main's status) and run beside main's export and each other.
	var main func() error
	var after []func() error
	switch want.Kind {
	case engine.WantDelta:
		// The diff, and the reverse diff (the builder stage where it differs from the package
		// stage): both computed by the daemon from states it holds, neither sends a whole root.
		fwd, rev := filepath.Join(dir, "diff"), filepath.Join(dir, "reverse")
		main = func() error { return s.run(ctx, llb.Diff(bst, pst), ociExport(fwd), true) }
		after = append(after, func() error {
			if err := s.run(ctx, llb.Diff(pst, bst), ociExport(rev), false); err != nil {
				return fmt.Errorf("building %s: the reverse diff: %w", j.Package, err)
			}
			return nil
		})
		sol.Layer = func() (io.ReadCloser, error) { return topLayer(fwd) }
		sol.BaseDiff = func() (io.ReadCloser, error) { return topLayer(rev) }
		var once sync.Once
		var baseErr error
		base := filepath.Join(dir, "base")
		sol.Base = func(ctx context.Context) (string, error) {
			once.Do(func() {
				if err := s.exportTree(ctx, bst, dir, base); err != nil {
					baseErr = fmt.Errorf("building %s: exporting the builder stage: %w", j.Package, err)
				}
			})
			return base, baseErr
		}
	case engine.WantRoot:
		main = func() (err error) {
			sol.Tree, err = s.exportTar(ctx, pst, dir, true)
			return err
		}
	case engine.WantDir:
		d := path.Clean("/" + want.Dir)
		if d == "/" {
			return nil, fmt.Errorf("building %s: the package directory cannot be /", j.Package)
		}
		one := llb.Scratch().File(llb.Copy(pst, d, "/"+path.Base(d), &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true}))
		main = func() (err error) {
			sol.Tree, err = s.exportTar(ctx, one, dir, true)
			return err
		}
	default:
		return nil, fmt.Errorf("building %s: unknown want %d", j.Package, want.Kind)
	}
	if len(want.Files) > 0 {
		sol.Files = filepath.Join(dir, "files")
		after = append(after, func() error {
			if err := s.exportTree(ctx, filesState(pst, want.Files), dir, sol.Files); err != nil {
				return fmt.Errorf("building %s: reading the package database: %w", j.Package, err)
			}
			return nil
		})
	}
	mainDone := make(chan struct{})
	errs := make([]error, len(after))
	var wg sync.WaitGroup
	for i, fn := range after {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-s.ranDone:
			case <-mainDone:
			}
			errs[i] = fn()
		}()
	}
	err = main()
	close(mainDone)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	sol.Executed = s.executed()
	return sol, nil
}

// filesState is a scratch state holding the paths of st that exist (see engine.Want.Files).
// Each path's first element is made a one-character class, so a missing path (or parent) is an
// empty wildcard match rather than an error; "DIR/*/NAME" copies NAME of every subdirectory of
// DIR.
func filesState(st llb.State, files []string) llb.State {
	out := llb.Scratch()
	for _, f := range files {
		f = path.Clean("/" + f)
		var include []string
		if dir, name, ok := strings.Cut(f, "/*/"); ok && !strings.Contains(name, "/") {
			f, include = dir, []string{"*/" + name}
		}
		dst := path.Dir(f)
		if dst != "/" {
			dst += "/"
		}
		out = out.File(llb.Copy(st, wildFirst(f), dst, &llb.CopyInfo{
			AllowWildcard: true, AllowEmptyWildcard: true, CreateDestPath: true, IncludePatterns: include,
		}))
	}
	return out
}

// wildFirst turns the first character of absolute path p into a class matching only itself.
func wildFirst(p string) string {
	if len(p) < 2 || p[0] != '/' || strings.ContainsRune(`[]*?\\`, rune(p[1])) {
		return p
	}
	return "/[" + p[1:2] + "]" + p[2:]
}
