package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ManagedContainer is a container flavor made, as listed by [ContainerLister].
type ManagedContainer struct {
	ID      string
	Run     string    // [LabelRun]
	Owner   string    // [LabelOwner], "hostname:pid"
	OwnerNS string    // [LabelOwnerNS]; "" on containers of older flavors
	Package string    // [LabelPackage]
	State   string    // "created", "running", "exited", …
	Created time.Time // by the engine's clock
}

// ContainerLister is the optional listing of the containers flavor made (those carrying
// [LabelManaged]), which [RemoveStale] needs.
type ContainerLister interface {
	// Managed lists them; with run set, only those of that run ([LabelRun]).
	Managed(ctx context.Context, run string) ([]ManagedContainer, error)
}

// StaleCreatedAge is how old a never-started container of another host or PID namespace must be
// before [RemoveStale] takes it for a leftover. Nothing runs in such a container (it only holds
// files to copy, read or export for a moment), so no live build keeps one nearly this long.
const StaleCreatedAge = 24 * time.Hour

// RemoveStale removes, from an engine that can list its containers, the leftovers of flavor
// processes that died without cleaning up, and never a container a live flavor process uses,
// wherever that process runs: another PID namespace (a CI job in a container) or another host
// sharing the engine.
//
// Ownership does not rest on pids alone. An engine that runs commands in a container ties the
// container's life to its owner's connection (the Docker engine closes the stdin its idle main
// process reads when the owner's attach connection drops, so the container exits): a running
// container has a live owner, an exited one has none. A pid is only trusted in the PID namespace
// of the same boot ([LabelOwnerNS]):
//
//   - exited or dead: removed, whoever made it;
//   - running: kept, unless its owner is a process of this namespace that is gone;
//   - created and never started (nothing runs in it): removed when its owner is a process of
//     this namespace that is gone, or, made elsewhere, when older than [StaleCreatedAge];
//   - paused, restarting, being removed: kept.
//
// It returns the ids it removed; removal goes on past failures, which are joined into the error.
// An engine without [ContainerLister] has nothing to remove.
func RemoveStale(ctx context.Context, eng Containers) ([]string, error) {
	l, ok := eng.(ContainerLister)
	if !ok {
		return nil, nil
	}
	list, err := l.Managed(ctx, "")
	if err != nil {
		return nil, err
	}
	here := OwnerNamespace()
	now := time.Now()
	var removed []string
	var errs []error
	for _, c := range list {
		if !stale(c, here, now) {
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

// stale applies RemoveStale's rules to one container; here is this process's OwnerNamespace.
func stale(c ManagedContainer, here string, now time.Time) bool {
	local := here != "" && c.OwnerNS == here
	switch c.State {
	case "exited", "dead":
		return true
	case "running":
		return local && ownerGone(c.Owner)
	case "created":
		if local {
			return ownerGone(c.Owner)
		}
		return !c.Created.IsZero() && now.Sub(c.Created) > StaleCreatedAge
	}
	return false
}

// ownerGone reports whether owner ("hostname:pid") names a process, of this process's PID
// namespace, that has exited.
func ownerGone(owner string) bool {
	_, pidText, ok := strings.Cut(owner, ":")
	if !ok {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return processGone(pid)
}

var ownerNS = sync.OnceValue(func() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + ns
})

// OwnerNamespace names where this process's pid means something: the kernel's boot id and the
// PID namespace ("bc3f…/pid:[4026531836]"). Two processes with the same OwnerNamespace can check
// each other's pids. It is "" where the kernel does not say (not Linux), and then no pid of a
// container's owner is trusted.
func OwnerNamespace() string { return ownerNS() }
