package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

func TestIsPodman(t *testing.T) {
	for _, tt := range []struct {
		name    string
		header  map[string]string
		version string // the /version reply
		want    bool
	}{
		{"podman 4.3", map[string]string{"Libpod-Api-Version": "4.3.1", "Server": "Libpod/4.3.1 (linux)"},
			`{"Version":"4.3.1","Components":[{"Name":"Podman Engine","Version":"4.3.1"}]}`, true},
		{"docker", map[string]string{"Server": "Docker/20.10.24 (linux)"},
			`{"Version":"20.10.24","Components":[{"Name":"Engine"},{"Name":"containerd"},{"Name":"runc"}]}`, false},
	} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range tt.header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Api-Version", "1.41")
			if strings.HasSuffix(r.URL.Path, "/version") {
				fmt.Fprint(w, tt.version)
				return
			}
			fmt.Fprint(w, "OK")
		}))
		sock := filepath.Join(t.TempDir(), "engine.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		srv.Listener = l
		srv.Start()
		for _, host := range []string{"unix://" + sock, "tcp://" + tcpListener(t, srv)} {
			cli, err := client.NewClientWithOpts(client.WithHost(host), client.WithVersion("1.41"))
			if err != nil {
				t.Fatal(err)
			}
			d := &Docker{cli: cli, host: host}
			got, err := d.isPodman(context.Background())
			if err != nil || got != tt.want {
				t.Errorf("%s at %s: isPodman %v, %v; want %v", tt.name, host, got, err, tt.want)
			}
			cli.Close()
		}
		srv.Close()
	}
}

// tcpListener serves srv's handler on loopback TCP as well, until the test ends.
func tcpListener(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	tcp := httptest.NewServer(srv.Config.Handler)
	t.Cleanup(tcp.Close)
	return tcp.Listener.Addr().String()
}

func TestRemoveRetryable(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("cannot remove container x as it could not be stopped: sending SIGKILL to container x: container state improper"), true},
		{errdefs.Conflict(errors.New("removal of container x is already in progress")), true},
		{errdefs.NotFound(errors.New("no such container")), false},
		{errors.New("connection refused"), false},
	} {
		if got := removeRetryable(tt.err); got != tt.want {
			t.Errorf("removeRetryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestPodmanHost(t *testing.T) {
	t.Setenv("CONTAINER_HOST", "unix:///tmp/ignored.sock") // the package reads no environment
	t.Setenv("XDG_RUNTIME_DIR", "/tmp/ignored")
	if got := podmanHost("tcp://h:1"); got != "tcp://h:1" {
		t.Errorf("an explicit host: %s", got)
	}
	if got := podmanHost(""); got != PodmanSocket("") {
		t.Errorf("no host: %s, want %s", got, PodmanSocket(""))
	}
	root := os.Geteuid() == 0
	for _, tt := range []struct {
		runtimeDir, user, root string
	}{
		{"", fmt.Sprintf("unix:///run/user/%d/podman/podman.sock", os.Geteuid()), "unix:///run/podman/podman.sock"},
		{"/run/user/1000", "unix:///run/user/1000/podman/podman.sock", "unix:///run/podman/podman.sock"},
	} {
		want := tt.user
		if root {
			want = tt.root
		}
		if got := PodmanSocket(tt.runtimeDir); got != want {
			t.Errorf("PodmanSocket(%q) = %s, want %s", tt.runtimeDir, got, want)
		}
	}
}
