package docker

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// Podman's Docker-compatible service (`podman system service`, checked with Podman 4.3) answers
// the calls this package makes, with these differences, each handled where the call is made:
//
//   - copying into a container: the archive API's copyUIDGID is inverted. Docker keeps the tar's
//     owners when it is true; Podman chowns everything to the container's user when it is true
//     and keeps the tar's owners when it is false (copyOwners);
//   - removing a container: a forced removal right after the container's attach connection
//     closed (which ends its keep-alive process) can fail with "container state improper"
//     while Podman is still stopping it; the removal is tried again (removeRetryable);
//   - storage: Podman's graph driver is called "overlay" (Docker's "overlay2"), with the same
//     UpperDir and LowerDir data, so the overlay fast path reads it the same way;
//   - change lists, commits, exports, image loads (docker-archive), labels and label filters
//     behave as Docker's.

// isPodman reports whether the engine is Podman's service. A local one is asked with a ping,
// which Podman answers with a Libpod-Api-Version header (its version call takes seconds); a
// remote one by the components of its version.
func (d *Docker) isPodman(ctx context.Context) (bool, error) {
	if strings.HasPrefix(d.host, "unix://") {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+client.DummyHost+"/_ping", nil)
		if err != nil {
			return false, err
		}
		res, err := d.cli.HTTPClient().Do(req)
		if err != nil {
			return false, err
		}
		res.Body.Close()
		return res.Header.Get("Libpod-Api-Version") != "", nil
	}
	v, err := d.cli.ServerVersion(ctx)
	if err != nil {
		return false, err
	}
	return podmanComponents(v), nil
}

// podmanComponents reports whether the engine's version components name Podman ("Podman
// Engine").
func podmanComponents(v types.Version) bool {
	for _, c := range v.Components {
		if strings.HasPrefix(c.Name, "Podman") {
			return true
		}
	}
	return false
}

// copyOwners is the copyUIDGID value that keeps the owners recorded in a tar copied into a
// container, which is inverted on Podman.
func (d *Docker) copyOwners() bool { return !d.podman }

// overlayDriver reports whether a graph driver name is the kernel overlay driver: Docker's
// "overlay2" or Podman's "overlay".
func overlayDriver(name string) bool { return name == "overlay2" || name == "overlay" }

// removeRetryable reports whether a failed forced removal should be tried again: Podman refuses
// one while the container is between running and stopped.
func removeRetryable(err error) bool {
	if err == nil {
		return false
	}
	return errdefs.IsConflict(err) || strings.Contains(err.Error(), "container state improper")
}

// removeAttempts bounds the retries of removeRetryable removals; removeBackoff is the first wait.
const (
	removeAttempts = 20
	removeBackoff  = 10 * time.Millisecond
)

// PodmanSocket is where `podman system service` listens by default: /run/podman/podman.sock
// for root; for other users runtimeDir/podman/podman.sock, where runtimeDir is the user's
// runtime directory (the caller's $XDG_RUNTIME_DIR), or /run/user/UID when it is empty.
func PodmanSocket(runtimeDir string) string {
	if os.Geteuid() == 0 {
		return "unix:///run/podman/podman.sock"
	}
	if runtimeDir == "" {
		runtimeDir = fmt.Sprintf("/run/user/%d", os.Geteuid())
	}
	return "unix://" + runtimeDir + "/podman/podman.sock"
}

// podmanHost is the address WithPodman connects to: host when given, else Podman's default
// socket.
func podmanHost(host string) string {
	if host != "" {
		return host
	}
	return PodmanSocket("")
}
