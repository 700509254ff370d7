//go:build integration

package integration

import (
	"context"
	"fmt"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/engine/docker"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/flavor-dev/flavor/oci"
)

// BenchmarkCreateExecRemove is the fixed cost of one build container with this package's engine
// code: create and start it, exec `true`, force-remove it. Compare BenchmarkDockerRunRm.
func BenchmarkCreateExecRemove(b *testing.B) {
	d := dockerEngine(b)
	tag, _ := busybox(b, d, amd64)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id, err := d.Create(ctx, engine.ContainerSpec{Image: tag, Platform: amd64, Package: "bench/true"})
		if err != nil {
			b.Fatal(err)
		}
		if code, err := d.Exec(ctx, id, engine.ExecSpec{Cmd: []string{"true"}}); err != nil || code != 0 {
			b.Fatalf("exec true: %d, %v", code, err)
		}
		if err := d.Remove(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDockerRunRm is the obvious alternative: `docker run --rm IMAGE true` per step.
func BenchmarkDockerRunRm(b *testing.B) {
	d := dockerEngine(b)
	tag, _ := busybox(b, d, amd64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command("docker", "run", "--rm", tag, "true").CombinedOutput(); err != nil {
			b.Fatalf("docker run: %v: %s", err, out)
		}
	}
}

// BenchmarkExecStep is the cost of one more step in an existing container (Exec of `true`).
func BenchmarkExecStep(b *testing.B) {
	d := dockerEngine(b)
	tag, _ := busybox(b, d, amd64)
	ctx := context.Background()
	id, err := d.Create(ctx, engine.ContainerSpec{Image: tag, Platform: amd64, Package: "bench/exec"})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Remove(ctx, id)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code, err := d.Exec(ctx, id, engine.ExecSpec{Cmd: []string{"true"}}); err != nil || code != 0 {
			b.Fatalf("exec true: %d, %v", code, err)
		}
	}
}

var bigOnce struct {
	sync.Once
	tag string
	err error
}

// bigBase imports busybox plus 1 GB in 10,000 files of zeros for amd64, once per engine (the
// image is kept under a fixed tag, and its digest is deterministic).
func bigBase(b *testing.B, d *docker.Docker) string {
	bigOnce.Do(func() {
		bigOnce.tag = "flavor-oci-test/busybox-1g:amd64"
		ctx := context.Background()
		if ok, err := d.ImageExists(ctx, bigOnce.tag); ok || err != nil {
			bigOnce.err = err
			return
		}
		dir := b.TempDir()
		root := filepath.Join(dir, "rootfs")
		if out, err := exec.Command("cp", "-a", filepath.Join(setupDir(), "rootfs", "busybox-amd64"), root).CombinedOutput(); err != nil {
			bigOnce.err = fmt.Errorf("copying busybox: %v: %s", err, out)
			return
		}
		zeros := make([]byte, 100_000)
		for i := 0; i < 10_000; i++ {
			sub := filepath.Join(root, "data", fmt.Sprintf("%02d", i%100))
			os.MkdirAll(sub, 0o755)
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%05d", i)), zeros, 0o644); err != nil {
				bigOnce.err = err
				return
			}
		}
		img, err := oci.NewBaseImage(ctx, root, amd64)
		if err != nil {
			bigOnce.err = err
			return
		}
		defer img.Close()
		_, bigOnce.err = oci.Load(ctx, d, img, bigOnce.tag)
	})
	if bigOnce.err != nil {
		b.Fatal(bigOnce.err)
	}
	return bigOnce.tag
}

// BenchmarkCommit commits a container that added one file and appended to /etc/passwd, on the
// small busybox base and on busybox plus 1 GB in 10,000 files.
func BenchmarkCommit(b *testing.B) {
	d := dockerEngine(b)
	ctx := context.Background()
	small, _ := busybox(b, d, amd64)
	for _, base := range []struct{ name, tag string }{{"busybox", small}, {"busybox+1GB", ""}} {
		b.Run(base.name, func(b *testing.B) {
			tag := base.tag
			if tag == "" {
				tag = bigBase(b, d)
			}
			id, err := d.Create(ctx, engine.ContainerSpec{Image: tag, Platform: amd64, Package: "bench/commit"})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Remove(ctx, id)
			if code, err := d.Exec(ctx, id, engine.ExecSpec{Cmd: []string{"/bin/sh", "-c", "echo x > /new && echo 'y:x:1:1::/:/bin/sh' >> /etc/passwd"}}); err != nil || code != 0 {
				b.Fatalf("step: %d, %v", code, err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				img, err := d.Commit(ctx, id, engine.CommitSpec{})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				d.RemoveImage(ctx, img)
				b.StartTimer()
			}
		})
	}
}
