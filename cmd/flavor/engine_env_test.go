package main

import (
	"context"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/engine/docker"
)

// TestEngineEnv: the variables the docker CLI and Podman read reach the engine as options (the
// library reads none): each case connects to nothing that answers and the error names what the
// variable said.
func TestEngineEnv(t *testing.T) {
	for _, tt := range []struct {
		name, engine string
		env          map[string]string
		want         []string
	}{
		{"DOCKER_HOST", "docker", map[string]string{"DOCKER_HOST": "unix:///nonexistent/d.sock"},
			[]string{"unix:///nonexistent/d.sock", "set DOCKER_HOST"}},
		{"CONTAINER_HOST", "podman", map[string]string{"CONTAINER_HOST": "unix:///nonexistent/p.sock", "DOCKER_HOST": "unix:///nonexistent/d.sock"},
			[]string{"podman at unix:///nonexistent/p.sock", "CONTAINER_HOST"}},
		{"DOCKER_CERT_PATH", "docker", map[string]string{"DOCKER_HOST": "tcp://127.0.0.1:1", "DOCKER_CERT_PATH": "/nonexistent/certs", "DOCKER_TLS_VERIFY": "1"},
			[]string{"TLS client certificate in /nonexistent/certs"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := docker.New(context.Background(), engineEnv(tt.engine, func(k string) string { return tt.env[k] })...)
			if err == nil {
				t.Fatal("connected to an engine that is not there")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
}
