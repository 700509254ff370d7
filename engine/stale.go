package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ManagedContainer is a container flavor made, as listed by [ContainerLister].
type ManagedContainer struct {
	ID      string
	Run     string // [LabelRun]
	Owner   string // [LabelOwner], "hostname:pid"
	Package string // [LabelPackage]
	State   string // "running", "exited", …
}

// ContainerLister is the optional listing of the containers flavor made (those carrying
// [LabelManaged]), which [RemoveStale] needs.
type ContainerLister interface {
	// Managed lists them; with run set, only those of that run ([LabelRun]).
	Managed(ctx context.Context, run string) ([]ManagedContainer, error)
}

// RemoveStale removes, from an engine that can list its containers, the leftovers of flavor
// processes that died without cleaning up: every managed container whose owner ([LabelOwner])
// was a process on this host that no longer runs, and the stopped ones owned by other hosts
// (whose processes this host cannot check). Containers of live flavor processes, and running ones
// of other hosts, are left alone. It returns the ids it removed; removal goes on past failures,
// which are joined into the error. An engine without [ContainerLister] has nothing to remove.
func RemoveStale(ctx context.Context, eng Containers) ([]string, error) {
	l, ok := eng.(ContainerLister)
	if !ok {
		return nil, nil
	}
	list, err := l.Managed(ctx, "")
	if err != nil {
		return nil, err
	}
	hostname, _ := os.Hostname()
	var removed []string
	var errs []error
	for _, c := range list {
		if !ownerGone(c.Owner, hostname) && (ownedHere(c.Owner, hostname) || c.State == "running") {
			continue
		}
		if err := eng.Remove(ctx, c.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, c.ID)
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("removing stale flavor containers: %w", err)
	}
	return removed, nil
}

// ownerGone reports whether owner ("hostname:pid") names a process of this host that has exited.
func ownerGone(owner, hostname string) bool {
	host, pidText, ok := strings.Cut(owner, ":")
	if !ok || host != hostname {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func ownedHere(owner, hostname string) bool {
	host, _, _ := strings.Cut(owner, ":")
	return host == hostname
}
