package docker

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/client"
)

func TestLoadError(t *testing.T) {
	tests := map[string]string{
		`{"stream":"Loaded image: x\n"}`:                                            "",
		`{"stream":"a"}{"errorDetail":{"message":"bad layer"},"error":"bad layer"}`: "bad layer",
		`{"error":"only error"}`:                                                    "only error",
		`not json`:                                                                  "",
	}
	for body, want := range tests {
		if got := loadError([]byte(body)); got != want {
			t.Errorf("loadError(%s) = %q, want %q", body, got, want)
		}
	}
}

// TestNewClientSettings: the host, a pinned API version and the TLS settings reach the client,
// given as options only.
func TestNewClientSettings(t *testing.T) {
	t.Setenv("DOCKER_HOST", "tcp://ignored:1") // the package reads no environment
	t.Setenv("DOCKER_API_VERSION", "1.30")
	cli, err := newClient(&options{host: client.DefaultDockerHost})
	if err != nil || cli.DaemonHost() != client.DefaultDockerHost || cli.ClientVersion() == "1.30" {
		t.Fatalf("defaults: host %s, version %s, %v", cli.DaemonHost(), cli.ClientVersion(), err)
	}
	cli, err = newClient(&options{host: "tcp://h:2376", version: "1.43"})
	if err != nil || cli.DaemonHost() != "tcp://h:2376" || cli.ClientVersion() != "1.43" {
		t.Fatalf("host and version: %s, %s, %v", cli.DaemonHost(), cli.ClientVersion(), err)
	}
	dir := filepath.Join(t.TempDir(), "certs")
	_, err = newClient(&options{host: "tcp://h:2376", tls: &tlsSettings{certDir: dir, verify: true}})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("a missing certificate directory: %v", err)
	}
	if _, err := makeOptions([]Option{WithTLS("", true)}); err == nil {
		t.Fatal("WithTLS with no directory was accepted")
	}
}
