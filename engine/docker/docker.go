package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"github.com/docker/go-connections/tlsconfig"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
)

// Docker is the container engine reached through the Docker API (a local dockerd, or a remote one
// through [WithHost]). It is safe for concurrent use.
type Docker struct {
	cli     *client.Client
	host    string
	local   bool
	arch    string // the engine's architecture, GOARCH-style
	runID   string
	owner   string
	ownerNS string
	leases  sync.Map // container id → the attach connection whose end ends the container
	log     *slog.Logger
	binfmt  string
	// podman is set when the engine is Podman's Docker-compatible service, whose API differs
	// in the places podman.go lists.
	podman bool
}

var (
	_ engine.Engine           = (*Docker)(nil)
	_ engine.OverlayReader    = (*Docker)(nil)
	_ engine.EmulationChecker = (*Docker)(nil)
	_ engine.ContainerLister  = (*Docker)(nil)
	_ engine.ImageLister      = (*Docker)(nil)
)

// cleanupTimeout bounds removals that run after the caller's context was cancelled.
const cleanupTimeout = 30 * time.Second

// New connects to the engine at the host [WithHost] names, or the local socket, negotiates the
// API version (engines from API 1.41 on work) and checks that it answers. An engine that does
// not answer gives an error wrapping [engine.ErrEngineUnreachable] that names the host and the
// fix. New reads no environment: the caller turns $DOCKER_HOST and the like into options.
//
// Options: [WithHost], [WithTLS], [WithAPIVersion], [WithPodman], [WithRunID], [WithLogger],
// [WithBinfmtDir].
func New(ctx context.Context, opts ...Option) (*Docker, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("connecting to the container engine: %w", err)
	}
	if o.podman {
		o.host = podmanHost(o.host)
	}
	if o.host == "" {
		o.host = client.DefaultDockerHost
	}
	cli, err := newClient(o)
	if err != nil {
		return nil, fmt.Errorf("connecting to the container engine at %s: %w", o.host, err)
	}
	d := &Docker{cli: cli, host: cli.DaemonHost(), log: o.logger, binfmt: o.binfmtDir, podman: o.podman}
	d.local = strings.HasPrefix(d.host, "unix://") || strings.HasPrefix(d.host, "npipe://")
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connecting to the container engine at %s: %w", d.host, ctx.Err())
		}
		return nil, d.unreachable(err)
	}
	// Podman's info and version take seconds (it asks its runtimes), so a local Podman, which
	// runs this machine's architecture, is only pinged.
	if d.podman, err = d.isPodman(ctx); err != nil {
		cli.Close()
		return nil, d.wrap(err, nil, "asking the container engine at %s what it is", d.host)
	}
	var arch, driver string
	switch {
	case d.podman && d.local:
		arch = runtime.GOARCH
	default:
		info, err := cli.Info(ctx)
		if err != nil {
			cli.Close()
			return nil, d.wrap(err, nil, "asking the container engine at %s for its platform", d.host)
		}
		arch, driver = info.Architecture, info.Driver
	}
	d.arch = platform.Platform{OS: "linux", Arch: arch}.Normalize().Arch
	if o.podman && !d.podman {
		cli.Close()
		return nil, fmt.Errorf("connecting to podman at %s: the engine there is not Podman; "+
			"point CONTAINER_HOST at Podman's socket (`podman system service`) or use --engine docker",
			d.host)
	}
	d.runID = o.runID
	if d.runID == "" {
		d.runID = newRunID()
	}
	hostname, _ := os.Hostname()
	d.owner = fmt.Sprintf("%s:%d", hostname, os.Getpid())
	d.ownerNS = engine.OwnerNamespace()
	d.log.Debug("connected to the container engine", "host", d.host, "api", cli.ClientVersion(),
		"arch", d.arch, "driver", driver, "podman", d.podman)
	return d, nil
}

// newClient makes the Docker API client o describes, with the settings client.FromEnv would
// take from the docker CLI's variables given explicitly, in its order: the TLS transport, then
// the host (which configures that transport's dialer), then a pinned API version, which turns
// the negotiation off.
func newClient(o *options) (*client.Client, error) {
	var copts []client.Opt
	if o.tls != nil {
		tlsc, err := tlsconfig.Client(tlsconfig.Options{
			CAFile:             filepath.Join(o.tls.certDir, "ca.pem"),
			CertFile:           filepath.Join(o.tls.certDir, "cert.pem"),
			KeyFile:            filepath.Join(o.tls.certDir, "key.pem"),
			InsecureSkipVerify: !o.tls.verify,
		})
		if err != nil {
			return nil, fmt.Errorf("reading the TLS client certificate in %s: %w", o.tls.certDir, err)
		}
		copts = append(copts, client.WithHTTPClient(&http.Client{
			Transport:     &http.Transport{TLSClientConfig: tlsc},
			CheckRedirect: client.CheckRedirect,
		}))
	}
	copts = append(copts, client.WithHost(o.host), client.WithVersion(o.version), client.WithAPIVersionNegotiation())
	return client.NewClientWithOpts(copts...)
}

func (d *Docker) unreachable(err error) error {
	if d.podman {
		return fmt.Errorf("connecting to podman at %s: %w: %v; start it (`bash integration/setup.sh`, "+
			"or `podman system service --time=0 %s`) or set CONTAINER_HOST to one that runs",
			d.host, engine.ErrEngineUnreachable, err, d.host)
	}
	return fmt.Errorf("connecting to the container engine at %s: %w: %v; start the engine "+
		"(`bash integration/setup.sh`, or `sudo systemctl start docker`) or set DOCKER_HOST "+
		"to one that runs", d.host, engine.ErrEngineUnreachable, err)
}

func newRunID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Sprintf("%x", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:])
}

// Close releases the connection to the engine.
func (d *Docker) Close() error {
	d.leases.Range(func(id, conn any) bool {
		conn.(io.Closer).Close()
		d.leases.Delete(id)
		return true
	})
	return d.cli.Close()
}

// Host is the engine's address, e.g. "unix:///var/run/docker.sock".
func (d *Docker) Host() string { return d.host }

// IsLocal reports whether the engine runs on this machine (reached through a unix socket), so
// its storage directories may be read directly.
func (d *Docker) IsLocal() bool { return d.local }

// RunID is the id labelling this Docker's containers (see [engine.LabelRun]).
func (d *Docker) RunID() string { return d.runID }

// Platform is the engine's native platform.
func (d *Docker) Platform() platform.Platform {
	return platform.Platform{OS: "linux", Arch: d.arch}.Normalize()
}

// Name says which engine this is and where it runs: "docker at unix:///var/run/docker.sock",
// "podman at unix:///run/podman/podman.sock".
func (d *Docker) Name() string {
	if d.podman {
		return "podman at " + d.host
	}
	return "docker at " + d.host
}

// IsPodman reports whether the engine is Podman's Docker-compatible service.
func (d *Docker) IsPodman() bool { return d.podman }

// APIVersion is the negotiated Docker API version.
func (d *Docker) APIVersion() string { return d.cli.ClientVersion() }

// wrap turns an engine error into one naming the operation and object, mapping not-found and
// connection failures onto this package's sentinels.
func (d *Docker) wrap(err error, notFound error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	switch {
	case notFound != nil && client.IsErrNotFound(err):
		return fmt.Errorf("%s: %w: %v", what, notFound, err)
	case client.IsErrConnectionFailed(err):
		return fmt.Errorf("%s: %w", what, d.unreachable(err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// InspectImage describes an image in the engine by name or id.
func (d *Docker) InspectImage(ctx context.Context, ref string) (oci.ImageInfo, error) {
	res, err := d.cli.ImageInspect(ctx, ref)
	if err != nil {
		return oci.ImageInfo{}, d.wrap(err, oci.ErrImageNotFound, "inspecting image %s in the engine", ref)
	}
	info := oci.ImageInfo{
		ID:          res.ID,
		Platform:    platform.Platform{OS: res.Os, Arch: res.Architecture, Variant: res.Variant}.Normalize(),
		Size:        res.Size,
		RepoTags:    res.RepoTags,
		RepoDigests: res.RepoDigests,
	}
	if res.Config != nil {
		info.Labels = res.Config.Labels
	}
	return info, nil
}

// ImageExists reports whether the engine has the image (by name or id).
func (d *Docker) ImageExists(ctx context.Context, ref string) (bool, error) {
	_, err := d.InspectImage(ctx, ref)
	if errors.Is(err, oci.ErrImageNotFound) {
		return false, nil
	}
	return err == nil, err
}

// LoadImage writes img as a docker-archive stream (ggcr's tarball.Write) through a pipe straight
// into the engine's image-load API, named tag when tag is set.
func (d *Docker) LoadImage(ctx context.Context, img v1.Image, tag string, written func(int64)) error {
	var ref name.Reference
	var err error
	if tag != "" {
		ref, err = name.NewTag(tag)
	} else {
		// An untagged load: a digest reference writes no RepoTags.
		var id v1.Hash
		if id, err = img.ConfigName(); err == nil {
			ref, err = name.NewDigest("flavor.invalid/untagged@" + id.String())
		}
	}
	if err != nil {
		return fmt.Errorf("loading an image into the engine: naming it %q: %w: %v", tag, oci.ErrBadReference, err)
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(tarball.Write(ref, img, &countingWriter{w: pw, fn: written}))
	}()
	err = d.load(ctx, pr)
	pr.CloseWithError(io.ErrClosedPipe) // stops the writer if the engine gave up early
	<-done                              // no progress call after LoadImage returns
	return err
}

// countingWriter calls fn with the bytes written so far.
type countingWriter struct {
	w  io.Writer
	fn func(int64)
	n  int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.fn != nil {
		c.fn(c.n)
	}
	return n, err
}

// load sends a docker-archive tar stream to the engine.
func (d *Docker) load(ctx context.Context, tar io.Reader) error {
	res, err := d.cli.ImageLoad(ctx, tar, client.ImageLoadWithQuiet(true))
	if err != nil {
		return d.wrap(err, nil, "loading an image into the engine")
	}
	defer res.Body.Close()
	// The engine reports errors inside the JSON message stream, not as an HTTP status.
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("loading an image into the engine: reading the reply: %w", err)
	}
	if msg := loadError(body); msg != "" {
		return fmt.Errorf("loading an image into the engine: %s", msg)
	}
	return nil
}

// TagImage names the image src tag.
func (d *Docker) TagImage(ctx context.Context, src, tag string) error {
	return d.wrap(d.cli.ImageTag(ctx, src, tag), oci.ErrImageNotFound, "tagging image %s as %s", src, tag)
}

// RemoveImage removes an image by name or id; when other names point at it, only the name
// goes. Children are pruned.
func (d *Docker) RemoveImage(ctx context.Context, ref string) error {
	_, err := d.cli.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true})
	if errdefs.IsConflict(err) {
		return fmt.Errorf("removing image %s from the engine: %w: %v", ref, engine.ErrImageInUse, err)
	}
	return d.wrap(err, oci.ErrImageNotFound, "removing image %s from the engine", ref)
}

// loadError returns the first error message in the engine's JSON message stream, if any.
func loadError(body []byte) string {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err != nil {
			return ""
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return m.ErrorDetail.Message
		}
		if m.Error != "" {
			return m.Error
		}
	}
}

// ImagesNamed lists the engine's images with a name in repository repo ("flavor.local/pkg"),
// one entry per image, with every matching name in RepoTags.
func (d *Docker) ImagesNamed(ctx context.Context, repo string) ([]oci.ImageInfo, error) {
	list, err := d.cli.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repo))})
	if err != nil {
		return nil, d.wrap(err, nil, "listing images named %s", repo)
	}
	out := make([]oci.ImageInfo, 0, len(list))
	for _, im := range list {
		out = append(out, oci.ImageInfo{ID: im.ID, Size: im.Size, RepoTags: im.RepoTags, RepoDigests: im.RepoDigests, Labels: im.Labels})
	}
	return out, nil
}
