//go:build integration

package integration

import (
	"context"
	"errors"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/engine/docker"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// tcpEngine forwards a loopback TCP port to the local engine's socket, so the engine looks
// remote (DOCKER_HOST=tcp://…): nothing of it may be read from this host's disk.
func tcpEngine(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				u, err := net.Dial("unix", "/var/run/docker.sock")
				if err != nil {
					return
				}
				defer u.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(u, c); u.(*net.UnixConn).CloseWrite(); done <- struct{}{} }()
				go func() { io.Copy(c, u); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
				<-done
				<-done
			}()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

func TestRemoteEngine(t *testing.T) {
	local := dockerEngine(t)
	armTag, _ := busybox(t, local, arm64)
	amdTag, _ := busybox(t, local, amd64)
	ctx := context.Background()
	d, err := docker.New(ctx, docker.WithHost(tcpEngine(t)), docker.WithBinfmtDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.IsLocal() {
		t.Fatal("a tcp:// engine reported local")
	}

	// Foreign platforms are probed by running uname -m, not by reading binfmt_misc here (the
	// binfmt dir given is empty, so a local check would fail).
	if err := d.CanRun(ctx, arm64, armTag); err != nil {
		t.Fatalf("probe of arm64 on the remote engine: %v", err)
	}
	// A probe image of the wrong architecture cannot pass for arm64.
	if err := d.CanRun(ctx, arm64, amdTag); err == nil {
		t.Fatal("an amd64 image passed the arm64 probe")
	}

	id, err := d.Create(ctx, engine.ContainerSpec{Image: amdTag, Platform: amd64, Package: "test/remote"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Remove(ctx, id)
	if code, err := d.Exec(ctx, id, engine.ExecSpec{Cmd: []string{"/bin/sh", "-c", "echo x > /remote-file"}}); err != nil || code != 0 {
		t.Fatalf("exec: %d, %v", code, err)
	}
	if _, ok, err := d.OverlayDirs(ctx, id); ok || err != nil {
		t.Fatalf("overlay dirs of a remote engine: ok=%v, %v", ok, err)
	}
	changes, err := d.Changes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range changes {
		found = found || (c.Path == "/remote-file" && c.Kind == engine.Added)
	}
	if !found {
		t.Fatalf("the change list lacks /remote-file: %v", changes)
	}
	rc, err := d.CopyFrom(ctx, id, "/remote-file")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if !strings.Contains(string(b), "remote-file") {
		t.Fatal("archive copy lacks the file")
	}
	// Managed containers of the tcp engine carry this Docker's run id.
	list, err := d.Managed(ctx, d.RunID())
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Package != "test/remote" {
		t.Fatalf("managed: %+v, %v", list, err)
	}
	if err := d.Remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(ctx, id); err != nil && !errors.Is(err, engine.ErrContainerNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
}
