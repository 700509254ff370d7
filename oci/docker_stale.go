package oci

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

func isNotFound(err error) bool { return client.IsErrNotFound(err) }

// ManagedContainer is a container flavor made, as listed by [Docker.Managed].
type ManagedContainer struct {
	ID      string
	Run     string // [LabelRun]
	Owner   string // [LabelOwner], "hostname:pid"
	Package string // [LabelPackage]
	State   string // "running", "exited", …
}

// Managed lists the containers carrying [LabelManaged]; with run set, only that run's.
func (d *Docker) Managed(ctx context.Context, run string) ([]ManagedContainer, error) {
	f := filters.NewArgs(filters.Arg("label", LabelManaged+"=true"))
	if run != "" {
		f.Add("label", LabelRun+"="+run)
	}
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, d.wrap(err, nil, "listing flavor's containers")
	}
	out := make([]ManagedContainer, 0, len(list))
	for _, c := range list {
		out = append(out, ManagedContainer{
			ID: c.ID, Run: c.Labels[LabelRun], Owner: c.Labels[LabelOwner],
			Package: c.Labels[LabelPackage], State: c.State,
		})
	}
	return out, nil
}

// RemoveStale removes the leftovers of flavor processes that died without cleaning up: every
// managed container whose owner ([LabelOwner]) was a process on this host that no longer runs,
// and the stopped ones owned by other hosts (whose processes this host cannot check). Containers
// of live flavor processes, and running ones of other hosts, are left alone. It
// returns the ids it removed; removal goes on past failures, which are joined into the error.
func (d *Docker) RemoveStale(ctx context.Context) ([]string, error) {
	list, err := d.Managed(ctx, "")
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
		if err := d.Remove(ctx, c.ID); err != nil {
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
