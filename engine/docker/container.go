package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/oci"
)

// keepAlive is the main process of every build container: it blocks reading its stdin, which
// nobody writes, so the container idles until removed. The stdin is the one this Docker attaches
// to before starting the container (OpenStdin, StdinOnce): when that connection drops, because
// flavor exited or was killed, wherever it ran, the engine closes the stdin, the read ends and
// the container exits. So a running flavor container always has a live owner, which is what
// engine.RemoveStale relies on. Only /bin/sh is assumed, which build steps need anyway.
var keepAlive = []string{"/bin/sh", "-c", "read _"}

// Create makes and starts a container of spec.Image for spec.Platform that idles until removed,
// labelled as flavor's (see [engine.LabelManaged]) with this Docker's run id, its owner and the package.
// A FilesOnly container is created and not started: its files can be copied, read, exported and
// committed all the same, and its image needs no shell. Another container is attached to (its
// stdin, see keepAlive) before it starts: it lives as long as this Docker's connection.
func (d *Docker) Create(ctx context.Context, spec engine.ContainerSpec) (string, error) {
	labels := map[string]string{}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	labels[engine.LabelManaged] = "true"
	labels[engine.LabelRun] = d.runID
	labels[engine.LabelOwner] = d.owner
	labels[engine.LabelOwnerNS] = d.ownerNS
	labels[engine.LabelPackage] = spec.Package
	cfg := &container.Config{
		Image:       spec.Image,
		Env:         spec.Env,
		WorkingDir:  spec.WorkDir,
		Labels:      labels,
		Entrypoint:  []string{}, // not nil: an empty entrypoint replaces the image's
		Cmd:         keepAlive,
		OpenStdin:   true,
		StdinOnce:   true,
		AttachStdin: true,
	}
	var platform *ocispec.Platform
	if !spec.Platform.IsZero() {
		platform = &ocispec.Platform{OS: spec.Platform.OS, Architecture: spec.Platform.Arch, Variant: spec.Platform.Variant}
	}
	res, err := d.cli.ContainerCreate(ctx, cfg, &container.HostConfig{}, nil, platform, spec.Name)
	if err != nil {
		return "", d.wrap(err, oci.ErrImageNotFound, "creating a container of %s for %s", spec.Image, spec.Platform)
	}
	for _, w := range res.Warnings {
		d.log.Warn("engine warning creating a container", "image", spec.Image, "warning", w)
	}
	if spec.FilesOnly {
		d.log.Debug("created container", "id", short(res.ID), "image", spec.Image, "package", spec.Package, "started", false)
		return res.ID, nil
	}
	att, err := d.cli.ContainerAttach(ctx, res.ID, container.AttachOptions{Stream: true, Stdin: true})
	if err != nil {
		_ = d.Remove(ctx, res.ID)
		return "", d.wrap(err, nil, "attaching to container %s of %s", short(res.ID), spec.Image)
	}
	d.leases.Store(res.ID, att.Conn)
	if err := d.cli.ContainerStart(ctx, res.ID, container.StartOptions{}); err != nil {
		_ = d.Remove(ctx, res.ID)
		return "", d.wrap(err, nil, "starting container %s of %s", short(res.ID), spec.Image)
	}
	d.log.Debug("created container", "id", short(res.ID), "image", spec.Image, "package", spec.Package)
	return res.ID, nil
}

// Exec runs spec.Cmd in container id, copying its stdout and stderr to spec.Stdout and
// spec.Stderr as the output arrives, and returns the command's exit code. When ctx is cancelled
// Exec returns at once with ctx's error; the command may go on until the container is removed.
func (d *Docker) Exec(ctx context.Context, id string, spec engine.ExecSpec) (int, error) {
	if len(spec.Cmd) == 0 {
		return -1, fmt.Errorf("running a command in container %s: empty command", short(id))
	}
	what := fmt.Sprintf("running %q in container %s", strings.Join(spec.Cmd, " "), short(id))
	ex, err := d.cli.ContainerExecCreate(ctx, id, container.ExecOptions{
		Cmd: spec.Cmd, Env: spec.Env, WorkingDir: spec.WorkDir, User: spec.User,
		AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return -1, d.wrap(err, engine.ErrContainerNotFound, "%s", what)
	}
	att, err := d.cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		return -1, d.wrap(err, engine.ErrContainerNotFound, "%s", what)
	}
	defer att.Close()
	stdout, stderr := orDiscard(spec.Stdout), orDiscard(spec.Stderr)
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(stdout, stderr, att.Reader)
		copied <- err
	}()
	select {
	case err = <-copied:
	case <-ctx.Done():
		att.Close() // unblocks the copy
		<-copied
		return -1, fmt.Errorf("%s: %w", what, context.Cause(ctx))
	}
	if err != nil {
		return -1, fmt.Errorf("%s: reading its output: %w", what, err)
	}
	// The stream ends when the process closes its output; its exit is recorded a moment later.
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		st, err := d.cli.ContainerExecInspect(ctx, ex.ID)
		if err != nil {
			return -1, d.wrap(err, engine.ErrContainerNotFound, "%s: reading its exit code", what)
		}
		if !st.Running {
			return st.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return -1, fmt.Errorf("%s: %w", what, context.Cause(ctx))
		case <-time.After(delay):
		}
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// CopyTo unpacks tar stream r into directory dir of container id, creating dir (and missing
// parents, 0755 root) first when it does not exist. Owners are taken from the tar headers.
func (d *Docker) CopyTo(ctx context.Context, id, dir string, r io.Reader) error {
	dir = path.Clean("/" + dir)
	if err := d.mkdirAll(ctx, id, dir); err != nil {
		return err
	}
	err := d.cli.CopyToContainer(ctx, id, dir, r, container.CopyToContainerOptions{CopyUIDGID: d.copyOwners()})
	return d.wrap(err, engine.ErrContainerNotFound, "copying into %s of container %s", dir, short(id))
}

// mkdirAll creates dir and its missing parents in the container without touching the
// attributes of those that exist (a tar holding only the missing ones is copied to "/").
func (d *Docker) mkdirAll(ctx context.Context, id, dir string) error {
	var missing []string
	for p := dir; p != "/"; p = path.Dir(p) {
		_, err := d.cli.ContainerStatPath(ctx, id, p)
		if err == nil {
			break
		}
		if !strings.Contains(strings.ToLower(err.Error()), "no such") && !isNotFound(err) {
			return d.wrap(err, engine.ErrContainerNotFound, "looking up %s in container %s", p, short(id))
		}
		missing = append(missing, p)
	}
	if len(missing) == 0 {
		return nil
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := len(missing) - 1; i >= 0; i-- {
		hdr := &tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(missing[i], "/") + "/", Mode: 0o755, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("creating %s in container %s: %w", dir, short(id), err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("creating %s in container %s: %w", dir, short(id), err)
	}
	err := d.cli.CopyToContainer(ctx, id, "/", &buf, container.CopyToContainerOptions{})
	return d.wrap(err, engine.ErrContainerNotFound, "creating %s in container %s", dir, short(id))
}

// CopyFrom returns path of container id as a tar stream whose root entry is path's base name.
func (d *Docker) CopyFrom(ctx context.Context, id, p string) (io.ReadCloser, error) {
	rc, _, err := d.cli.CopyFromContainer(ctx, id, p)
	if err != nil {
		return nil, d.wrap(err, engine.ErrContainerNotFound, "copying %s out of container %s", p, short(id))
	}
	return rc, nil
}

// Commit makes an image of container id (pausing it meanwhile) and returns the image id. The
// image keeps the container's environment and working directory; its entrypoint and command are
// the original image's, not the container's keep-alive process.
func (d *Docker) Commit(ctx context.Context, id string, spec engine.CommitSpec) (string, error) {
	what := fmt.Sprintf("committing container %s", short(id))
	ci, err := d.cli.ContainerInspect(ctx, id)
	if err != nil {
		return "", d.wrap(err, engine.ErrContainerNotFound, "%s", what)
	}
	changes, err := d.restoreRunConfig(ctx, ci.Image)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	res, err := d.cli.ContainerCommit(ctx, id, container.CommitOptions{
		Reference: spec.Ref, Comment: spec.Comment, Pause: true, Changes: changes,
		Config: &container.Config{Labels: spec.Labels},
	})
	if err != nil {
		return "", d.wrap(err, engine.ErrContainerNotFound, "%s", what)
	}
	return res.ID, nil
}

// restoreRunConfig returns the Dockerfile-style changes that put back image's entrypoint and
// command. An image with neither gets CMD ["/bin/sh"] (an empty one would keep the keep-alive).
func (d *Docker) restoreRunConfig(ctx context.Context, img string) ([]string, error) {
	res, err := d.cli.ImageInspect(ctx, img)
	if err != nil {
		return nil, d.wrap(err, oci.ErrImageNotFound, "reading the run config of image %s", img)
	}
	cmd := []string{"/bin/sh"}
	var entry []string
	if res.Config != nil {
		entry = res.Config.Entrypoint
		if len(res.Config.Cmd) > 0 || len(entry) > 0 {
			cmd = res.Config.Cmd
		}
	}
	var changes []string
	if len(entry) > 0 {
		b, _ := json.Marshal(entry)
		changes = append(changes, "ENTRYPOINT "+string(b))
	}
	if len(cmd) > 0 {
		b, _ := json.Marshal(cmd)
		changes = append(changes, "CMD "+string(b))
	}
	return changes, nil
}

// Export returns the whole filesystem of container id as a tar stream.
func (d *Docker) Export(ctx context.Context, id string) (io.ReadCloser, error) {
	rc, err := d.cli.ContainerExport(ctx, id)
	if err != nil {
		return nil, d.wrap(err, engine.ErrContainerNotFound, "exporting container %s", short(id))
	}
	return rc, nil
}

// Changes lists the paths container id added, modified and deleted, as the engine reports them.
func (d *Docker) Changes(ctx context.Context, id string) ([]engine.Change, error) {
	res, err := d.cli.ContainerDiff(ctx, id)
	if err != nil {
		return nil, d.wrap(err, engine.ErrContainerNotFound, "listing the changes of container %s", short(id))
	}
	out := make([]engine.Change, 0, len(res))
	for _, c := range res {
		out = append(out, engine.Change{Path: c.Path, Kind: engine.ChangeKind(c.Kind)})
	}
	return out, nil
}

// OverlayDirs returns the overlay upper and lower directories of container id when the engine
// is local, uses overlay storage (Docker's overlay2, Podman's overlay) and the upper directory is readable by this process.
func (d *Docker) OverlayDirs(ctx context.Context, id string) (engine.OverlayDirs, bool, error) {
	ci, err := d.cli.ContainerInspect(ctx, id)
	if err != nil {
		return engine.OverlayDirs{}, false, d.wrap(err, engine.ErrContainerNotFound, "inspecting container %s", short(id))
	}
	if !d.local || !overlayDriver(ci.GraphDriver.Name) {
		return engine.OverlayDirs{}, false, nil
	}
	dirs := engine.OverlayDirs{Upper: ci.GraphDriver.Data["UpperDir"]}
	if lower := ci.GraphDriver.Data["LowerDir"]; lower != "" {
		dirs.Lower = strings.Split(lower, ":")
	}
	if dirs.Upper == "" {
		return engine.OverlayDirs{}, false, nil
	}
	if f, err := os.Open(dirs.Upper); err != nil {
		d.log.Debug("overlay upper directory not readable", "container", short(id), "dir", dirs.Upper, "err", err)
		return engine.OverlayDirs{}, false, nil
	} else {
		f.Close()
	}
	return dirs, true, nil
}

// Kill stops container id at once (SIGKILL); its filesystem stays for Commit, Export and the
// change readers.
func (d *Docker) Kill(ctx context.Context, id string) error {
	err := d.cli.ContainerKill(ctx, id, "KILL")
	if err != nil && strings.Contains(err.Error(), "is not running") {
		return nil
	}
	return d.wrap(err, engine.ErrContainerNotFound, "killing container %s", short(id))
}

// Remove force-removes container id (and its anonymous volumes). It runs even when ctx is
// already cancelled, bounded by its own timeout, so deferred cleanups work after a cancel. A
// container that is already gone is not an error.
func (d *Docker) Remove(ctx context.Context, id string) error {
	if conn, ok := d.leases.LoadAndDelete(id); ok {
		conn.(io.Closer).Close()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var err error
	for i, wait := 0, removeBackoff; i < removeAttempts; i, wait = i+1, min(2*wait, time.Second) {
		err = d.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
		if !removeRetryable(err) {
			break
		}
		d.log.Debug("engine refused to remove a stopping container; trying again", "id", short(id), "err", err)
		select {
		case <-ctx.Done():
			return d.wrap(err, nil, "removing container %s", short(id))
		case <-time.After(wait):
		}
	}
	if err != nil && isNotFound(err) {
		return nil
	}
	return d.wrap(err, nil, "removing container %s", short(id))
}

// short abbreviates an engine id for messages.
func short(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
