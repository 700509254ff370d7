//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// exampleRun is examples/hello packed once per test binary for linux/amd64 and linux/arm64 (the
// only emulated arm64 builds of this file), then packed twice more with --locked, each with an
// empty cache. Tests share it.
type exampleRun struct {
	dir     string // the copy of the example
	cache   string // the first run's cache, warm for later runs
	first   packReport
	locked  [2]packReport
	lockRaw []byte
}

var (
	exampleOnce sync.Once
	example     *exampleRun
	exampleErr  string
)

func packedExample(t *testing.T) *exampleRun {
	t.Helper()
	exampleOnce.Do(func() {
		d := dockerEngine(t)
		ensureExampleBases(t, d)
		dir, err := sharedDir()
		if err != nil {
			exampleErr = err.Error()
			return
		}
		if err := copyExampleTo(dir); err != nil {
			exampleErr = err.Error()
			return
		}
		e := &exampleRun{dir: dir, cache: filepath.Join(dir, ".cache-first")}
		args := append([]string{"pack", "--output-format", "json"}, launcherArgs(t)...)
		r := runBundleFlavor(t, dir, e.cache, append(args, "-o", "dist-first")...)
		if r.code != 0 {
			exampleErr = "first pack: " + r.stderr
			return
		}
		e.first = r.report(t)
		if e.lockRaw, err = os.ReadFile(filepath.Join(dir, "flavor.lock")); err != nil {
			exampleErr = "the first pack wrote no lock: " + err.Error()
			return
		}
		for i := range e.locked {
			r := runBundleFlavor(t, dir, filepath.Join(dir, ".cache-locked-"+string(rune('a'+i))),
				append(args, "--locked", "-o", "dist-locked-"+string(rune('a'+i)))...)
			if r.code != 0 {
				exampleErr = "pack --locked: " + r.stderr
				return
			}
			e.locked[i] = r.report(t)
		}
		example = e
	})
	if example == nil {
		t.Fatalf("packing examples/hello: %s", exampleErr)
	}
	return example
}

// TestBundleExampleRunsOnBothArchitectures: the example packs for both platforms; the amd64
// package runs here and the arm64 one under qemu (binfmt), with the same output and nothing of
// the host on PATH; both verify.
func TestBundleExampleRunsOnBothArchitectures(t *testing.T) {
	e := packedExample(t)
	psps := e.first.psps()
	if len(psps) != 2 || psps["linux/amd64"] == "" || psps["linux/arm64"] == "" {
		t.Fatalf("packages %v", psps)
	}
	for _, want := range []string{"apps/hello@1.0.0 linux/amd64", "base/busybox@1.35.0 linux/amd64", "apps/hello@1.0.0 linux/arm64", "base/busybox@1.35.0 linux/arm64"} {
		if e.first.sources()[want] != "built" {
			t.Errorf("%s: %q, want built (sources %v)", want, e.first.sources()[want], e.first.sources())
		}
	}
	outputs := map[string]string{}
	for platform, rel := range psps {
		psp := filepath.Join(e.dir, rel)
		cache := t.TempDir()
		var all []string
		for _, args := range [][]string{nil, {"de"}, {"it"}} {
			out, stderr, code := runPSP(t, psp, cache, args...)
			if code != 0 {
				t.Fatalf("%s %v: exit %d\n%s", platform, args, code, stderr)
			}
			all = append(all, out)
		}
		got := strings.Join(all, "")
		if want := "Hello, friends of flavor!\nHallo, friends of flavor!\nCiao, friends of flavor!\n"; got != want {
			t.Errorf("%s printed %q, want %q", platform, got, want)
		}
		outputs[platform] = got
		// The finalizer linked busybox's applets and the hook ran (with only the workenv on PATH).
		if _, _, code := runPSP(t, psp, cache, "xx"); code != 2 {
			t.Errorf("%s: an unknown language exits %d, want 2", platform, code)
		}
		if ws, _ := filepath.Glob(filepath.Join(cache, "workenv", "hello-*", "var", "activated")); len(ws) != 1 {
			t.Errorf("%s: the hook left %v", platform, ws)
		}
		if ls, _ := filepath.Glob(filepath.Join(cache, "workenv", "hello-*", "bin", "tr")); len(ls) != 1 {
			t.Errorf("%s: busybox's finalizer did not link its applets", platform)
		}
		r := runBundleFlavor(t, e.dir, e.cache, "verify", psp)
		if r.code != 0 {
			t.Errorf("flavor verify %s: exit %d\n%s%s", platform, r.code, r.stdout, r.stderr)
		}
		r = runBundleFlavor(t, e.dir, e.cache, "inspect", "--json", psp).must(t, "inspect")
		var ins struct {
			Slots []struct {
				ID     string                     `json:"id"`
				Extras map[string]json.RawMessage `json:"extras"`
			} `json:"slots"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &ins); err != nil || len(ins.Slots) != 5 || ins.Slots[0].ID != "app" {
			t.Fatalf("inspect %s: %v\n%s", platform, err, r.stdout)
		}
		// After the two content slots come the SBOM and provenance documents (issue 13).
		for i, id := range []string{"flavor.sbom.spdx", "flavor.sbom.cyclonedx", "flavor.provenance"} {
			if got := ins.Slots[2+i].ID; got != id {
				t.Errorf("inspect %s: slot %d is %q, want %q", platform, 2+i, got, id)
			}
		}
		var buf bytes.Buffer
		json.Compact(&buf, ins.Slots[0].Extras["provenance"])
		prov := buf.String()
		for _, w := range []string{`"package":"apps/hello@1.0.0"`, `"package":"base/busybox@1.35.0"`, `"cache_key":"sha256:`, `"artifact_digest":"sha256:`,
			`"base_image":"flavor-example/busybox:` + strings.TrimPrefix(platform, "linux/") + `@sha256:`, `"flavor":"~!shout is: `} {
			if !strings.Contains(prov, w) {
				t.Errorf("%s: slot provenance %s lacks %s", platform, prov, w)
			}
		}
	}
	if outputs["linux/amd64"] != outputs["linux/arm64"] {
		t.Errorf("the architectures print differently: %q and %q", outputs["linux/amd64"], outputs["linux/arm64"])
	}
}

// TestBundleLockedIsReproducible: two `pack --locked` runs with separate empty caches give
// byte-identical packages, the same as the run that wrote the lock, and leave the lock alone.
func TestBundleLockedIsReproducible(t *testing.T) {
	e := packedExample(t)
	for _, platform := range []string{"linux/amd64", "linux/arm64"} {
		a := fileSum(t, filepath.Join(e.dir, e.locked[0].psps()[platform]))
		b := fileSum(t, filepath.Join(e.dir, e.locked[1].psps()[platform]))
		first := fileSum(t, filepath.Join(e.dir, e.first.psps()[platform]))
		if a != b || a != first {
			t.Errorf("%s: --locked runs gave %s and %s (first run %s)", platform, a, b, first)
		}
	}
	for i, rep := range e.locked {
		if rep.Install.LockWritten || len(rep.Install.Changed) != 0 {
			t.Errorf("locked run %d wrote the lock or re-resolved: %+v", i, rep.Install)
		}
		for k, src := range rep.sources() {
			if src != "built" {
				t.Errorf("locked run %d: %s was %s with an empty cache", i, k, src)
			}
		}
	}
	now, _ := os.ReadFile(filepath.Join(e.dir, "flavor.lock"))
	if string(now) != string(e.lockRaw) {
		t.Errorf("--locked changed flavor.lock")
	}
}
