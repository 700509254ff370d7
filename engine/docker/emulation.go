package docker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/platform"
)

// CanRun checks that containers of platform p can run on the engine. The engine's own
// architecture always can. A foreign one on a local engine needs an enabled binfmt_misc handler
// (qemu-<arch>); on a remote engine, whose kernel this host cannot see, a container of probeImage
// (an image for p already in the engine) runs `uname -m`. Failures wrap [engine.ErrNoEmulation] and give
// the command that fixes them.
func (d *Docker) CanRun(ctx context.Context, p platform.Platform, probeImage string) error {
	p = p.Normalize()
	if p.OS != "linux" {
		return fmt.Errorf("checking that %s can run on the engine: %w: the engine runs linux containers only", p, engine.ErrNoEmulation)
	}
	if p.Arch == d.arch {
		return nil
	}
	if d.local {
		return binfmtEnabled(d.binfmt, p)
	}
	return d.probeArch(ctx, p, probeImage)
}

// binfmtEnabled checks the qemu handler for p's architecture under dir (/proc/sys/fs/binfmt_misc).
func binfmtEnabled(dir string, p platform.Platform) error {
	q, ok := qemuName[p.Arch]
	if !ok {
		return fmt.Errorf("checking that %s can run here: %w: no known emulator for %s", p, engine.ErrNoEmulation, p.Arch)
	}
	file := filepath.Join(dir, "qemu-"+q)
	b, err := os.ReadFile(file)
	switch {
	case err != nil:
		return fmt.Errorf("checking that %s can run here: %w: %s is missing; install and register "+
			"the emulator with `sudo apt-get install -y qemu-user-static binfmt-support` and "+
			"`bash integration/setup.sh`, or `docker run --privileged --rm tonistiigi/binfmt --install %s` "+
			"where a registry is reachable", p, engine.ErrNoEmulation, file, p.Arch)
	case !bytes.HasPrefix(b, []byte("enabled")):
		return fmt.Errorf("checking that %s can run here: %w: %s is disabled; enable it with "+
			"`echo 1 | sudo tee %s`", p, engine.ErrNoEmulation, file, file)
	}
	return nil
}

// probeArch runs `uname -m` in a container of image for p and compares the answer.
func (d *Docker) probeArch(ctx context.Context, p platform.Platform, image string) error {
	what := fmt.Sprintf("checking that %s can run on the engine at %s", p, d.host)
	if image == "" {
		return fmt.Errorf("%s: no image of that platform to probe with", what)
	}
	id, err := d.Create(ctx, engine.ContainerSpec{Image: image, Platform: p, Package: "probe/uname"})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer d.Remove(ctx, id)
	var out, errOut bytes.Buffer
	code, err := d.Exec(ctx, id, engine.ExecSpec{Cmd: []string{"uname", "-m"}, Stdout: &out, Stderr: &errOut})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	got := strings.TrimSpace(out.String())
	if code != 0 || got != unameMachine[p.Arch] {
		return fmt.Errorf("%s: %w: `uname -m` in a container of %s exited %d printing %q (%s), want %q; "+
			"register qemu on the engine's host: `docker run --privileged --rm tonistiigi/binfmt --install %s`",
			what, engine.ErrNoEmulation, image, code, got, strings.TrimSpace(errOut.String()), unameMachine[p.Arch], p.Arch)
	}
	return nil
}

// unameMachine is what `uname -m` prints inside a container of each architecture, and
// qemuName the name of its binfmt_misc handler (qemu-<name>).
var unameMachine = map[string]string{
	"amd64": "x86_64", "arm64": "aarch64", "arm": "armv7l", "386": "i686",
	"ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
}

var qemuName = map[string]string{
	"amd64": "x86_64", "arm64": "aarch64", "arm": "arm", "386": "i386",
	"ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
}
