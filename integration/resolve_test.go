//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/flavor-dev/flavor/engine"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/oci"
)

// TestResolveFromEveryPlace resolves one arm64 base image from the loopback registry, an OCI
// layout, a docker-archive written by `docker save` and the engine, and checks every source
// agrees on its id; then Provide loads it and a container of it runs.
func TestResolveFromEveryPlace(t *testing.T) {
	d := dockerEngine(t)
	ctx := context.Background()
	img, err := oci.NewBaseImage(ctx, filepath.Join(setupDir(), "rootfs", "busybox-arm64"), arm64)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	want, _ := img.ConfigName()

	ref := testRegistry() + "/flavor-oci-test/busybox:arm64"
	if _, err := oci.Push(ctx, img, ref); err != nil {
		t.Fatal(err)
	}
	layout := filepath.Join(t.TempDir(), "layout")
	if _, err := oci.WriteLayout(layout, img, "busybox"); err != nil {
		t.Fatal(err)
	}
	tag, _ := busybox(t, d, arm64)
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	if out, err := exec.Command("docker", "save", "-o", archive, tag).CombinedOutput(); err != nil {
		t.Fatalf("docker save: %v: %s", err, out)
	}

	r, err := oci.NewResolver(d)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref string
		src oci.Source
	}{
		{ref, oci.SourceRegistry}, // the engine has no image of that name
		{"oci:" + layout + ":busybox", oci.SourceOCILayout},
		{"docker-archive:" + archive, oci.SourceArchive},
		{tag, oci.SourceEngine},
	}
	for _, tc := range tests {
		t.Run(tc.src.String(), func(t *testing.T) {
			res, err := r.Resolve(ctx, tc.ref, arm64)
			if err != nil {
				t.Fatal(err)
			}
			if res.ImageID != want || res.Source != tc.src || res.Platform != arm64 {
				t.Fatalf("resolved %+v, want %s from %s", res, want, tc.src)
			}
			if _, err := r.ResolvePinned(ctx, tc.ref, arm64, want); err != nil {
				t.Fatalf("pinned to its own digest: %v", err)
			}
			id, err := r.Provide(ctx, res, "flavor-oci-test/provided:"+tc.src.String())
			if err != nil || id != want.String() {
				t.Fatalf("Provide = %s, %v", id, err)
			}
		})
	}

	// The registry's image, once provided, runs as arm64.
	c, err := d.Create(ctx, engine.ContainerSpec{Image: "flavor-oci-test/provided:registry", Platform: arm64})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Remove(ctx, c)
	var out bytes.Buffer
	if code, err := d.Exec(ctx, c, engine.ExecSpec{Cmd: []string{"uname", "-m"}, Stdout: &out}); err != nil || code != 0 || strings.TrimSpace(out.String()) != "aarch64" {
		t.Fatalf("uname -m: %q %d %v", out.String(), code, err)
	}
}

func TestResolveMissingImage(t *testing.T) {
	d := dockerEngine(t)
	r, err := oci.NewResolver(d)
	if err != nil {
		t.Fatal(err)
	}
	ref := testRegistry() + "/flavor-oci-test/does-not-exist:1"
	_, err = r.Resolve(context.Background(), ref, arm64)
	if !errors.Is(err, oci.ErrImageNotFound) {
		t.Fatalf("err = %v, want ErrImageNotFound", err)
	}
	for _, want := range []string{ref, "linux/arm64", d.Host(), "registry", "flavor image import ROOTFS --platform linux/arm64 --tag " + ref} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// TestImportCommand builds the CLI and imports setup.sh's arm64 root filesystem into the engine.
func TestImportCommand(t *testing.T) {
	d := dockerEngine(t)
	bin := filepath.Join(t.TempDir(), "flavor")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/flavor").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	tag := "flavor-oci-test/cli:arm64"
	cmd := exec.Command(bin, "--output-format", "json", "image", "import",
		filepath.Join(setupDir(), "rootfs", "busybox-arm64"), "--platform", "linux/arm64", "--tag", tag)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		ImageID  string `json:"image_id"`
		EngineID string `json:"engine_id"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	info, err := d.InspectImage(context.Background(), tag)
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != res.ImageID || res.EngineID != res.ImageID || info.Platform != arm64 {
		t.Fatalf("engine has %s as %+v; import printed %s", tag, info, out)
	}
}
