//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestCleanAllRemovesCachedBuildImages: `flavor clean --all` removes the engine's cached package
// images (flavor.local/pkg:*), reporting each, and a dry run only lists them.
func TestCleanAllRemovesCachedBuildImages(t *testing.T) {
	d := dockerEngine(t)
	ensureBusybox(t, d)
	ctx := context.Background()
	tag := "flavor.local/pkg:cleantest" + strings.ReplaceAll(t.Name(), "/", "")
	tag = strings.ToLower(tag)
	if out, err := exec.Command("docker", "tag", "busybox:latest", tag).CombinedOutput(); err != nil {
		t.Fatalf("docker tag: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", tag).Run() })
	bin := flavorBin(t)
	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--output-format", "json", "clean", "--all"}, args...)...)
		cmd.Env = append(cmd.Environ(), "FLAVOR_CACHE="+t.TempDir())
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("flavor clean: %v\n%s", err, errb.String())
		}
		var res map[string]any
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("clean output: %v\n%s", err, out.String())
		}
		return res
	}
	listed := func(res map[string]any) bool {
		removed, _ := res["removed"].([]any)
		for _, r := range removed {
			if m, _ := r.(map[string]any); m["path"] == tag {
				return true
			}
		}
		return false
	}
	if res := run("--dry-run"); !listed(res) {
		t.Fatalf("dry run does not list %s: %v", tag, res)
	}
	if ok, err := d.ImageExists(ctx, tag); err != nil || !ok {
		t.Fatalf("dry run removed %s (exists=%v, %v)", tag, ok, err)
	}
	if res := run(); !listed(res) {
		t.Fatalf("clean --all does not report %s: %v", tag, res)
	}
	if ok, err := d.ImageExists(ctx, tag); err != nil || ok {
		t.Fatalf("%s still in the engine after clean --all (%v)", tag, err)
	}
}
