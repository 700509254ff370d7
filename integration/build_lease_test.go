//go:build integration

package integration

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// startFlavorInPIDNamespace runs flavor in a PID namespace of its own (`unshare --pid --fork`,
// as a CI job in a container is), after pids dummy processes so its pid there differs between
// calls. Both flavor processes share this host's name and its engine.
func startFlavorInPIDNamespace(t *testing.T, pids int, args ...string) *flavorRun {
	t.Helper()
	unshare := []string{"--pid", "--fork"}
	if os.Geteuid() != 0 {
		unshare = append([]string{"--user", "--map-root-user"}, unshare...)
	}
	script := strings.Repeat("true & wait; ", pids) + `"$0" "$@" & wait $!`
	return startCommand(t, exec.Command("unshare", append(append(unshare, "sh", "-c", script, flavorBin(t)), args...)...))
}

// TestBuildSharedEngineAcrossPIDNamespaces is issue 11's reproduction: build A runs a step in a
// PID namespace of its own (pid ~300 there, above any thread id of B); build B starts in another one on the same engine and host name, and
// its stale-container check must not take A's live container for a leftover (A's pid is not a
// process in B's namespace). Both builds succeed.
func TestBuildSharedEngineAcrossPIDNamespaces(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	a := startFlavorInPIDNamespace(t, 300, "build", "--tree", buildTrees("lease"), "--destination", t.TempDir(), "--cache", t.TempDir(), "test/l")
	a.waitFor(t, "| started")
	b := startFlavorInPIDNamespace(t, 0, "build", "--tree", buildTrees("lease"), "--destination", t.TempDir(), "--cache", t.TempDir(), "test/l")
	for name, r := range map[string]*flavorRun{"A": a, "B": b} {
		if code, out := r.wait(t); code != 0 {
			t.Errorf("build %s exited %d:\n%s", name, code, out)
		} else if strings.Contains(out, "left by killed flavor processes") {
			t.Errorf("build %s removed containers it took for leftovers:\n%s", name, out)
		}
	}
}
