package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestClean(t *testing.T) {
	psp := packExample(t)
	cache := t.TempDir()
	t.Setenv("FLAVOR_CACHE", cache)
	// Unit tests never touch a real engine: with none reachable, --all reports the engine's
	// leftovers as kept (integration/clean_test.go covers removal from a real engine).
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/flavor-test.sock")
	if _, stderr, code := runPSP(t, psp, cache); code != 0 {
		t.Fatalf("running the package: exit %d: %s", code, stderr)
	}
	wdir := filepath.Join(cache, "workenv")
	trees, _ := filepath.Glob(filepath.Join(wdir, "hello-local-*"))
	if len(trees) != 1 {
		t.Fatalf("want one workenv after a run, got %v", trees)
	}
	real := filepath.Base(trees[0])

	mk := func(rel, content string) {
		p := filepath.Join(cache, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const (
		incomplete = "half-0123456789abcdef"
		orphan     = "gone-1111111111111111"
		locked     = "busy-2222222222222222"
	)
	mk("workenv/."+real+".pspf/stage-123/bin/partial", "12345")                // an interrupted refresh
	mk("workenv/"+incomplete+"/bin/tool", "0123456789")                        // no completion marker
	mk("workenv/."+incomplete+".pspf/lock", "")                                //
	mk("workenv/."+orphan+".pspf/slot-3", "x")                                 // state without a tree
	mk("workenv/"+locked+"/file", "locked!")                                   // being extracted
	mk("workenv/."+locked+".pspf/lock", "")                                    //
	mk("workenv/not-a-workenv/keep", "mine")                                   // not the launcher's
	mk("artifacts/sha256/"+strings.Repeat("a", 64)+"/pkg.tar.zst", "artifact") // build cache
	mk("tmp/build-1/x", "tmp")                                                 //
	f, err := os.Open(filepath.Join(cache, "workenv", "."+locked+".pspf", "lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	clean := func(args ...string) cleanResult {
		t.Helper()
		stdout, stderr, code := runApp(t, append([]string{"--output-format", "json", "clean"}, args...)...)
		if code != 0 {
			t.Fatalf("clean %v: exit %d: %s", args, code, stderr)
		}
		var res cleanResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	paths := func(items []cleanItem) []string {
		var out []string
		for _, it := range items {
			rel, _ := filepath.Rel(cache, it.Path)
			out = append(out, rel)
		}
		sort.Strings(out)
		return out
	}
	exists := func(rel string) bool { _, err := os.Lstat(filepath.Join(cache, rel)); return err == nil }

	t.Run("dry run", func(t *testing.T) {
		res := clean("--all", "--dry-run")
		if len(res.Removed) == 0 || !exists("workenv/"+real) || !exists("workenv/"+incomplete) || !exists("artifacts") {
			t.Fatalf("--dry-run removed something or listed nothing: %v", paths(res.Removed))
		}
	})
	t.Run("default", func(t *testing.T) {
		res := clean()
		want := []string{
			"workenv/." + incomplete + ".pspf", "workenv/." + orphan + ".pspf", "workenv/." + real + ".pspf/stage-123", "workenv/" + incomplete,
		}
		sort.Strings(want)
		if got := paths(res.Removed); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("removed\n %v\nwant\n %v", got, want)
		}
		if got := paths(res.Kept); strings.Join(got, " ") != "workenv/"+locked+" workenv/"+real {
			t.Errorf("kept %v", got)
		}
		if res.Freed != 5+10+1 {
			t.Errorf("freed %d bytes, want 16", res.Freed)
		}
		if !exists("workenv/"+real+"/bin/hello.sh") || !exists("artifacts") || !exists("workenv/not-a-workenv/keep") {
			t.Error("clean without --all removed a complete workenv, the build cache or a foreign directory")
		}
	})
	_, err = os.Stat(filepath.Join(wdir, ".launch"))
	recordsBefore := err == nil
	t.Run("all", func(t *testing.T) {
		res := clean("--all")
		want := []string{"artifacts", "tmp", "workenv/" + real, "workenv/." + real + ".pspf"}
		if recordsBefore {
			want = append(want, "workenv/.launch")
		}
		sort.Strings(want)
		if got := paths(res.Removed); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("removed %v, want %v", got, want)
		}
		var sum int64
		for _, it := range res.Removed {
			sum += it.Bytes
		}
		if res.Freed != sum || sum < int64(len("artifact")+len("tmp")) {
			t.Errorf("freed %d, items add up to %d", res.Freed, sum)
		}
		if !exists("workenv/"+locked+"/file") || !exists("workenv/not-a-workenv/keep") {
			t.Error("--all removed a locked workenv or a foreign directory")
		}
		if !slices.ContainsFunc(res.Kept, func(it cleanItem) bool {
			return it.Path == "container engine" && strings.Contains(it.Reason, "not reachable")
		}) {
			t.Errorf("kept %+v: want the unreachable container engine reported", res.Kept)
		}
	})
	// The package still runs: it extracts again.
	if out, stderr, code := runPSP(t, psp, cache); code != 0 || !strings.Contains(out, "activated: yes") {
		t.Fatalf("run after clean: exit %d, %q %q", code, out, stderr)
	}
	t.Run("text", func(t *testing.T) {
		stdout, _, code := runApp(t, "clean")
		if code != 0 || !strings.Contains(stdout, "kept") || !strings.Contains(stdout, "freed 0 B in "+cache) {
			t.Fatalf("exit %d, stdout:\n%s", code, stdout)
		}
	})
}

func TestCleanEmptyCache(t *testing.T) {
	t.Setenv("FLAVOR_CACHE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/flavor-test.sock")
	stdout, stderr, code := runApp(t, "clean", "--all")
	if code != 0 || !strings.Contains(stdout, "freed 0 B") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// --engine-images prunes the engine along with the build caches: alone it is refused, saying so.
func TestCleanEngineImagesNeedsAll(t *testing.T) {
	t.Setenv("FLAVOR_CACHE", filepath.Join(t.TempDir(), "none"))
	_, stderr, code := runApp(t, "clean", "--engine-images")
	if code == 0 || !strings.Contains(stderr, "--engine-images goes with --all") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestCleanKilledPackLeftovers: clean removes the hidden working files a killed pack left in the
// output directory it is given (dist/ by default), listing each with its size, and nothing else.
func TestCleanKilledPackLeftovers(t *testing.T) {
	t.Setenv("FLAVOR_CACHE", filepath.Join(t.TempDir(), "none"))
	out := t.TempDir()
	left := filepath.Join(out, ".hello-1.0-linux-amd64.psp.31337.slots")
	if err := os.WriteFile(left, []byte(strings.Repeat("s", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(out, "hello-1.0-linux-amd64.psp")
	if err := os.WriteFile(pkg, []byte("package"), 0o755); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runApp(t, "clean", "--dry-run", "--output", out)
	if code != 0 || !strings.Contains(stdout, left) || !strings.Contains(stdout, "working file of a killed pack") {
		t.Fatalf("dry run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(left); err != nil {
		t.Fatalf("dry run removed %s", left)
	}
	stdout, stderr, code = runApp(t, "clean", "--output", out)
	if code != 0 || !strings.Contains(stdout, "freed 1000 B") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(left); err == nil {
		t.Errorf("%s is still there", left)
	}
	if _, err := os.Stat(pkg); err != nil {
		t.Errorf("clean removed the package: %v", err)
	}
}
