//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/engine/docker"
	"github.com/flavor-dev/flavor/platform"

	"github.com/flavor-dev/flavor/oci"
)

// setupDir is where integration/setup.sh leaves its root filesystems.
func setupDir() string {
	if d := os.Getenv("FLAVOR_SETUP_DIR"); d != "" {
		return d
	}
	return "/var/cache/flavor-setup"
}

// testRegistry is the loopback registry setup.sh starts.
func testRegistry() string {
	if r := os.Getenv("FLAVOR_TEST_REGISTRY"); r != "" {
		return r
	}
	return "127.0.0.1:5000"
}

// testEngine is the engine the suite runs against, from FLAVOR_TEST_ENGINE: "docker" (the
// default) or "podman" (Podman's Docker-compatible service that setup.sh starts; .ci/integration.sh
// runs the engine and build tests a second time against it).
func testEngine() string {
	if e := os.Getenv("FLAVOR_TEST_ENGINE"); e != "" {
		return e
	}
	return "docker"
}

// TestMain runs integration/setup.sh (idempotent) first; when it fails the tests fail, never skip.
// Under FLAVOR_TEST_ENGINE=podman, DOCKER_HOST points at Podman's socket, so the engine, the
// flavor binary and the docker CLI the tests call all reach Podman.
func TestMain(m *testing.M) {
	if os.Getenv("FLAVOR_SKIP_SETUP") == "" {
		cmd := exec.Command("bash", "setup.sh")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "integration: setup.sh failed: %v\n", err)
			os.Exit(1)
		}
	}
	switch e := testEngine(); e {
	case "docker":
	case "podman":
		os.Setenv("DOCKER_HOST", docker.PodmanSocket(os.Getenv("XDG_RUNTIME_DIR")))
	default:
		fmt.Fprintf(os.Stderr, "integration: FLAVOR_TEST_ENGINE=%q: want docker or podman\n", e)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// engine connects to the engine for one test, with a run id of its own, and removes whatever
// containers of that run remain when the test ends.
func dockerEngine(t testing.TB) *docker.Docker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := append(engineEnv(), docker.WithRunID(fmt.Sprintf("it-%d-%d", os.Getpid(), time.Now().UnixNano())))
	if testEngine() == "podman" {
		opts = append(opts, docker.WithPodman())
	}
	d, err := docker.New(ctx, opts...)
	if err != nil {
		t.Fatalf("the integration tests need the engine: %v", err)
	}
	t.Cleanup(func() {
		list, _ := d.Managed(context.Background(), d.RunID())
		for _, c := range list {
			d.Remove(context.Background(), c.ID)
		}
		d.Close()
	})
	return d
}

var (
	baseOnce sync.Map // platform → *baseResult
)

type baseResult struct {
	once sync.Once
	tag  string
	id   string
	err  error
}

// busybox imports setup.sh's busybox root filesystem for p into the engine (once per test
// binary) and returns its tag and engine id.
func busybox(t testing.TB, d *docker.Docker, p platform.Platform) (tag, id string) {
	t.Helper()
	v, _ := baseOnce.LoadOrStore(p.String(), &baseResult{})
	r := v.(*baseResult)
	r.once.Do(func() {
		ctx := context.Background()
		img, err := oci.NewBaseImage(ctx, filepath.Join(setupDir(), "rootfs", "busybox-"+p.Arch), p)
		if err != nil {
			r.err = err
			return
		}
		defer img.Close()
		r.tag = "flavor-oci-test/busybox:" + p.Arch
		r.id, r.err = oci.Load(ctx, d, img, r.tag)
	})
	if r.err != nil {
		t.Fatalf("importing busybox for %s: %v", p, r.err)
	}
	return r.tag, r.id
}

var (
	amd64 = platform.MustParse("linux/amd64")
	arm64 = platform.MustParse("linux/arm64")
)

// engineEnv turns the docker CLI's variables into engine options as cmd/flavor's engineEnv does
// (the library reads no environment): $DOCKER_HOST (under FLAVOR_TEST_ENGINE=podman, Podman's
// socket, set by TestMain), $DOCKER_CERT_PATH with $DOCKER_TLS_VERIFY, $DOCKER_API_VERSION.
func engineEnv() []docker.Option {
	opts := []docker.Option{docker.WithHost(os.Getenv("DOCKER_HOST")), docker.WithAPIVersion(os.Getenv("DOCKER_API_VERSION"))}
	if dir := os.Getenv("DOCKER_CERT_PATH"); dir != "" {
		opts = append(opts, docker.WithTLS(dir, os.Getenv("DOCKER_TLS_VERIFY") != ""))
	}
	return opts
}

// podmanEnv is where Podman's service is, as cmd/flavor finds it: $CONTAINER_HOST, else the
// socket under $XDG_RUNTIME_DIR (root: /run/podman/podman.sock).
func podmanEnv() []docker.Option {
	host := os.Getenv("CONTAINER_HOST")
	if host == "" {
		host = docker.PodmanSocket(os.Getenv("XDG_RUNTIME_DIR"))
	}
	return []docker.Option{docker.WithPodman(), docker.WithHost(host)}
}
