//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCleanAllRemovesCachedBuildImages: `flavor clean --all` removes the engine's cached build
// images this cache's artifacts reference, keeps (and reports) those of other caches, which
// --engine-images would remove, and keeps (and reports) one a container uses instead of
// failing; a dry run only lists.
func TestCleanAllRemovesCachedBuildImages(t *testing.T) {
	d := dockerEngine(t)
	ensureBusybox(t, d)
	ctx := context.Background()
	cache := t.TempDir()
	randomHex := func() string {
		b := make([]byte, 32)
		rand.Read(b)
		return hex.EncodeToString(b)
	}
	ours, theirs, used := randomHex(), randomHex(), randomHex()
	for _, h := range []string{ours, used} { // this cache has artifacts of these keys
		if err := os.MkdirAll(filepath.Join(cache, "artifacts", "sha256", h), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	oursTag, theirsTag, usedTag := "flavor.local/pkg:"+ours, "flavor.local/pkg:"+theirs, "flavor.local/join:"+used
	// Three images of their own (a cached build image has one name), committed from busybox.
	for _, tag := range []string{oursTag, theirsTag, usedTag} {
		out, err := exec.Command("docker", "create", "busybox:latest", "true").Output()
		if err != nil {
			t.Fatalf("docker create: %v", err)
		}
		c := strings.TrimSpace(string(out))
		out, err = exec.Command("docker", "commit", "-c", "LABEL dev.flavor.test="+tag, c, tag).CombinedOutput()
		exec.Command("docker", "rm", "-f", c).Run()
		if err != nil {
			t.Fatalf("docker commit: %v\n%s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("docker", "rmi", tag).Run() })
	}
	// A (stopped) container of the join image holds it.
	out, err := exec.Command("docker", "create", usedTag, "true").Output()
	if err != nil {
		t.Fatalf("docker create: %v", err)
	}
	ctr := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", ctr).Run() })
	bin := flavorBin(t)
	run := func(args ...string) (removed, kept map[string]string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--output-format", "json", "clean", "--all"}, args...)...)
		cmd.Env = append(cmd.Environ(), "FLAVOR_CACHE="+cache)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("flavor clean %v: %v\n%s", args, err, errb.String())
		}
		var res struct {
			Removed, Kept []struct{ Path, Reason string }
		}
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("clean output: %v\n%s", err, out.String())
		}
		removed, kept = map[string]string{}, map[string]string{}
		for _, r := range res.Removed {
			removed[r.Path] = r.Reason
		}
		for _, k := range res.Kept {
			kept[k.Path] = k.Reason
		}
		return removed, kept
	}
	exists := func(tag string) bool {
		ok, err := d.ImageExists(ctx, tag)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	others := "flavor.local/pkg, flavor.local/join"

	removed, kept := run("--dry-run")
	if _, ok := removed[oursTag]; !ok {
		t.Errorf("dry run does not list %s: removed %v", oursTag, removed)
	}
	if _, ok := removed[theirsTag]; ok {
		t.Errorf("dry run would remove another cache's %s", theirsTag)
	}
	if !strings.Contains(kept[others], "--engine-images") {
		t.Errorf("dry run does not report the images of other caches as kept: %v", kept)
	}
	if !exists(oursTag) {
		t.Fatalf("dry run removed %s", oursTag)
	}
	if removed, _ := run("--dry-run", "--engine-images"); removed[theirsTag] != "" || !hasKey(removed, theirsTag) {
		t.Errorf("--engine-images dry run does not list %s: %v", theirsTag, removed)
	}

	removed, kept = run()
	if !hasKey(removed, oursTag) || exists(oursTag) {
		t.Errorf("clean --all did not remove this cache's %s (reported %v)", oursTag, removed)
	}
	if !exists(theirsTag) || hasKey(removed, theirsTag) {
		t.Errorf("clean --all removed %s, which this cache does not reference", theirsTag)
	}
	if kept[usedTag] != "in use by a container" || !exists(usedTag) {
		t.Errorf("the image a container uses: kept %q, exists %v; want kept, in use by a container", kept[usedTag], exists(usedTag))
	}
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}
