package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"testing"
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

func TestRemoveStale(t *testing.T) {
	host, _ := os.Hostname()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	l := &listed{list: []ManagedContainer{
		{ID: "mine", Owner: fmt.Sprintf("%s:%d", host, os.Getpid()), State: "running"},
		{ID: "dead-here", Owner: fmt.Sprintf("%s:%d", host, dead.Process.Pid), State: "running"},
		{ID: "other-running", Owner: "elsewhere.invalid:1", State: "running"},
		{ID: "other-exited", Owner: "elsewhere.invalid:1", State: "exited"},
	}}
	got, err := RemoveStale(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dead-here", "other-exited"}; !slices.Equal(got, want) || !slices.Equal(l.removed, want) {
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
