//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/engine/docker"
	"github.com/flavor-dev/flavor/oci"
)

// podmanEngine connects to the Podman service setup.sh starts.
func podmanEngine(t *testing.T) *docker.Docker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := docker.New(ctx, podmanEnv()...)
	if err != nil {
		t.Fatalf("the integration tests need Podman's service: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestEnginePodmanIsChecked: WithPodman finds Podman at its default socket and names it, and
// refuses an engine that is not Podman.
func TestEnginePodmanIsChecked(t *testing.T) {
	p := podmanEngine(t)
	if !p.IsPodman() || !strings.HasPrefix(p.Name(), "podman at unix://") {
		t.Fatalf("podman engine: IsPodman %v, name %q", p.IsPodman(), p.Name())
	}
	d := dockerEngine(t)
	if d.IsPodman() {
		t.Fatalf("the docker engine %s says it is Podman", d.Name())
	}
	_, err := docker.New(context.Background(), docker.WithPodman(), docker.WithHost(d.Host()))
	if err == nil || !strings.Contains(err.Error(), "not Podman") {
		t.Fatalf("WithPodman at Docker's socket: %v", err)
	}
}

// TestBuildCLIPodmanMatchesDocker: `flavor build --engine podman` and `--engine docker` write
// byte-identical artifacts for Luet fixtures with added, modified and deleted files, owners,
// modes and a chain.
func TestBuildCLIPodmanMatchesDocker(t *testing.T) {
	d, p := dockerEngine(t), podmanEngine(t)
	ensureBusybox(t, d)
	loadBusybox(t, p)
	trees := []struct {
		tree string
		pkgs []string
	}{
		{buildTrees("modify"), []string{"test/changed", "test/added", "test/plain"}},
		{luetFixtures("buildableseed"), []string{"test/d"}},
		{luetFixtures("perms"), []string{"test/perms"}},
		{luetFixtures("extra_perms"), []string{"test/extra"}},
	}
	for _, tr := range trees {
		t.Run(filepath.Base(tr.tree), func(t *testing.T) {
			got := map[string]map[string][]byte{}
			for _, eng := range []string{"docker", "podman"} {
				dest := t.TempDir()
				args := append([]string{"--output-format", "json", "--engine", eng, "build", "--tree", tr.tree,
					"--destination", dest, "--cache", t.TempDir()}, tr.pkgs...)
				cmd := exec.Command(flavorBin(t), args...)
				cmd.Env = withoutEnv(os.Environ(), "DOCKER_HOST", "CONTAINER_HOST")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("flavor build --engine %s: %v\n%s", eng, err, stderr.String())
				}
				var rep struct {
					Artifacts []struct{ Package, Artifact string }
				}
				if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
					t.Fatalf("decoding %q: %v", stdout.String(), err)
				}
				got[eng] = map[string][]byte{}
				for _, a := range rep.Artifacts {
					b, err := os.ReadFile(a.Artifact)
					if err != nil {
						t.Fatal(err)
					}
					got[eng][a.Package] = b
				}
			}
			if len(got["docker"]) == 0 || len(got["docker"]) != len(got["podman"]) {
				t.Fatalf("docker built %v, podman %v", keys(got["docker"]), keys(got["podman"]))
			}
			for pkg, b := range got["docker"] {
				if !bytes.Equal(b, got["podman"][pkg]) {
					t.Errorf("%s: the artifacts differ (docker %d bytes, podman %d bytes)", pkg, len(b), len(got["podman"][pkg]))
				}
			}
		})
	}
}

// loadBusybox imports setup.sh's amd64 busybox root filesystem into eng as busybox:latest.
func loadBusybox(t *testing.T, eng *docker.Docker) {
	t.Helper()
	ctx := context.Background()
	img, err := oci.NewBaseImage(ctx, filepath.Join(setupDir(), "rootfs", "busybox-amd64"), amd64)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if _, err := oci.Load(ctx, eng, img, "busybox:latest"); err != nil {
		t.Fatalf("loading busybox:latest into %s: %v", eng.Name(), err)
	}
}

func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		drop := false
		for _, n := range names {
			drop = drop || strings.HasPrefix(kv, n+"=")
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
