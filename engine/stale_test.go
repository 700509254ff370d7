package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// listed is a Containers with a fixed list of managed containers, recording removals.
type listed struct {
	list    []ManagedContainer
	removed []string
}

func (l *listed) Managed(context.Context, string) ([]ManagedContainer, error) { return l.list, nil }
func (l *listed) Create(context.Context, ContainerSpec) (string, error)       { return "", nil }
func (l *listed) Exec(context.Context, string, ExecSpec) (int, error)         { return 0, nil }
func (l *listed) CopyTo(context.Context, string, string, io.Reader) error     { return nil }
func (l *listed) CopyFrom(context.Context, string, string) (io.ReadCloser, error) {
	return nil, nil
}
func (l *listed) Remove(_ context.Context, id string) error {
	l.removed = append(l.removed, id)
	return nil
}

// TestRemoveStale: pids are trusted only in this process's PID namespace; elsewhere (another
// namespace with the same host name: a CI job in a container; another host) a running container
// is live (its owner's connection keeps it running) and a never-started one is kept for a day.
func TestRemoveStale(t *testing.T) {
	host, _ := os.Hostname()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	here := OwnerNamespace()
	if here == "" {
		t.Fatal("OwnerNamespace is empty on Linux")
	}
	other := "bc3fb40b-0000-0000-0000-000000000000/pid:[4026532174]"
	mine := fmt.Sprintf("%s:%d", host, os.Getpid())
	gone := fmt.Sprintf("%s:%d", host, dead.Process.Pid)
	now := time.Now()
	l := &listed{list: []ManagedContainer{
		{ID: "mine", Owner: mine, OwnerNS: here, State: "running"},
		{ID: "mine-created", Owner: mine, OwnerNS: here, State: "created", Created: now.Add(-48 * time.Hour)},
		{ID: "dead-here", Owner: gone, OwnerNS: here, State: "running"},
		{ID: "dead-here-created", Owner: gone, OwnerNS: here, State: "created", Created: now},
		// The case: the same host name and a pid that is gone here, in another namespace.
		{ID: "other-ns-running", Owner: gone, OwnerNS: other, State: "running"},
		{ID: "other-ns-created", Owner: gone, OwnerNS: other, State: "created", Created: now.Add(-time.Hour)},
		{ID: "other-ns-created-old", Owner: gone, OwnerNS: other, State: "created", Created: now.Add(-StaleCreatedAge - time.Hour)},
		{ID: "other-ns-exited", Owner: gone, OwnerNS: other, State: "exited"},
		{ID: "older-flavor-running", Owner: gone, State: "running"},
		{ID: "other-host-exited", Owner: "elsewhere.invalid:1", State: "exited"},
		{ID: "paused", Owner: gone, OwnerNS: here, State: "paused"},
	}}
	got, err := RemoveStale(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dead-here", "dead-here-created", "other-ns-created-old", "other-ns-exited", "other-host-exited"}
	if !slices.Equal(got, want) || !slices.Equal(l.removed, want) {
		t.Fatalf("removed %v (engine saw %v), want %v", got, l.removed, want)
	}
}

// An engine that cannot list its containers has nothing stale to remove.
func TestRemoveStaleWithoutLister(t *testing.T) {
	got, err := RemoveStale(context.Background(), struct{ Containers }{})
	if err != nil || got != nil {
		t.Fatalf("got %v, %v", got, err)
	}
}
