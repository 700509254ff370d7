//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/flavor-dev/flavor/delta"
	"github.com/flavor-dev/flavor/engine"
)

// layerStep adds, modifies and deletes files and directories, empties a directory (an opaque
// one in overlay terms) and rewrites a file with the bytes it had (a change of time only, which
// a delta leaves out) on the Debian image.
const layerStep = "echo new > /etc/flavor-new && echo extra >> /etc/passwd && rm /etc/issue && " +
	"rm -rf /usr/share/doc/apt && rm -rf /var/lib/apt/lists && mkdir /var/lib/apt/lists && echo l > /var/lib/apt/lists/only && " +
	"mkdir -p /opt/app/bin && echo app > /opt/app/bin/app && chmod 4755 /opt/app/bin/app && ln -s app /opt/app/bin/alias && " +
	"ln /opt/app/bin/app /opt/app/bin/hard && chown 1000:1000 /opt/app && " +
	"cat /etc/debian_version > /tmp/dv && cat /tmp/dv > /etc/debian_version && touch /etc/host.conf"

// TestBuildKitDiffLayerMatchesDockerDelta: the layer BuildKit makes for a step (what an exported
// llb.Diff of the step is), read with delta.FromLayer against the same base, gives the tree —
// entries written byte for byte, removals — that Docker's overlay upper directory gives for
// the same step.
func TestBuildKitDiffLayerMatchesDockerDelta(t *testing.T) {
	ctx := context.Background()
	ref := testRegistry() + "/debian:bookworm"

	// Docker: a container of the image runs the step; its overlay directories give the delta.
	d := dockerEngine(t)
	id, err := d.Create(ctx, engine.ContainerSpec{Image: ref, Platform: amd64, Package: "test/layer"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Remove(context.Background(), id) })
	var out bytes.Buffer
	if code, err := d.Exec(ctx, id, engine.ExecSpec{Cmd: []string{"/bin/sh", "-c", layerStep}, Stdout: &out, Stderr: &out}); err != nil || code != 0 {
		t.Fatalf("step in docker: exit %d, %v\n%s", code, err, out.String())
	}
	dirs, ok, err := d.OverlayDirs(ctx, id)
	if err != nil || !ok {
		t.Fatalf("overlay dirs: %v, %v", ok, err)
	}
	fromOverlay, err := delta.FromOverlay(ctx, delta.Overlay{Upper: dirs.Upper, Lowers: dirs.Lower})
	if err != nil {
		t.Fatal(err)
	}
	defer fromOverlay.Close()

	// BuildKit: the same step on the same image, exported as an OCI layout; its top layer is the
	// step's diff.
	layer := buildkitStepLayer(t, ref, layerStep)
	defer layer.Close()
	fromLayer, err := delta.FromLayer(ctx, layer, delta.LowerDirs(dirs.Lower))
	if err != nil {
		t.Fatal(err)
	}
	defer fromLayer.Close()

	var a, b bytes.Buffer
	if err := fromOverlay.WriteTar(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if err := fromLayer.WriteTar(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if len(fromOverlay.Files()) < 5 || len(fromOverlay.Removed()) < 3 {
		t.Fatalf("the docker delta is too small to compare: files %v, removed %v", fromOverlay.Files(), fromOverlay.Removed())
	}
	if !sameStrings(fromOverlay.Removed(), fromLayer.Removed()) {
		t.Errorf("removed: docker %v, buildkit layer %v", fromOverlay.Removed(), fromLayer.Removed())
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("the trees differ: docker %v, buildkit layer %v", tarNames(t, a.Bytes()), tarNames(t, b.Bytes()))
	}
}

// buildkitStepLayer runs step on ref through setup.sh's buildkitd (linux/amd64) and returns the
// uncompressed top layer of the result.
func buildkitStepLayer(t *testing.T, ref, step string) io.ReadCloser {
	t.Helper()
	dir := t.TempDir()
	df := "FROM " + ref + "\nRUN " + step + "\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	ociTar := filepath.Join(t.TempDir(), "oci.tar")
	cmd := exec.Command(buildctl(t), "--addr", "unix://"+buildkitSocket(), "build", "--frontend", "dockerfile.v0",
		"--local", "context="+dir, "--local", "dockerfile="+dir, "--opt", "platform=linux/amd64",
		"--output", "type=oci,dest="+ociTar, "--progress", "plain")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buildctl build: %v\n%s", err, b)
	}
	lay := t.TempDir()
	if b, err := exec.Command("tar", "-C", lay, "-xf", ociTar).CombinedOutput(); err != nil {
		t.Fatalf("unpacking the OCI layout: %v\n%s", err, b)
	}
	idx, err := layout.ImageIndexFromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 {
		t.Fatalf("OCI layout index: %+v, %v", m, err)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) < 2 {
		t.Fatalf("layers of the result: %d, %v", len(layers), err)
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func tarNames(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h.Name)
	}
}
