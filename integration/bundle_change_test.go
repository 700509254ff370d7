//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/specs/manifest"
)

// amd64Pack packs dir for linux/amd64 only (the arm64 side is the shared example's job).
func amd64Pack(t *testing.T, dir, cache string, extra ...string) packReport {
	t.Helper()
	args := append([]string{"pack", "--output-format", "json", "--platform", "linux/amd64"}, launcherArgs(t)...)
	return runBundleFlavor(t, dir, cache, append(args, extra...)...).must(t, "pack "+strings.Join(extra, " ")).report(t)
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not hold %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBundleRebuildsWhatChanged: with a warm cache, changing one package's spec rebuilds that
// package only, and changing only [vars] rebuilds nothing and repacks.
func TestBundleRebuildsWhatChanged(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureExampleBases(t, d)
	dir, cache := copyExample(t), t.TempDir()
	// A package built on hello (its build root is hello's package image), so that changing hello
	// shows what depends on it being rebuilt too.
	writeFiles(t, dir, map[string]string{
		"packages/apps/banner/definition.yaml": "name: banner\ncategory: apps\nversion: \"1\"\n",
		"packages/apps/banner/build.yaml":      "requires:\n- {category: apps, name: hello}\nsteps:\n- /bin/sh /out/bin/hello fr > /banner.txt\n",
	})
	editFile(t, filepath.Join(dir, "flavor.toml"), "[vars]", "banner.pkg-path = \"apps/banner\"\nbanner.pkg-group = \"app\"\n\n[vars]")
	base := amd64Pack(t, dir, cache)
	if base.Install.Containers == 0 || !base.Install.LockWritten {
		t.Fatalf("first pack: %+v", base.Install)
	}
	psp := filepath.Join(dir, base.psps()["linux/amd64"])
	lockFile := filepath.Join(dir, "flavor.lock")
	readLock := func() *manifest.Lock {
		l, err := manifest.ReadLock(t.Context(), lockFile)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	before := readLock()

	steps := []struct {
		name     string
		edit     func()
		rebuilt  []string // packages built again; the others come from the cache
		output   string   // what the package prints afterwards
		relocked bool     // the hello entry was resolved again
	}{
		{"hello's data", func() {
			editFile(t, filepath.Join(dir, "packages/apps/hello/greetings.txt"), "de | Hallo", "de | Servus")
		},
			[]string{"apps/hello@1.0.0", "apps/banner@1"}, "Servus, friends of flavor!\n", true},
		{"busybox's spec", func() {
			editFile(t, filepath.Join(dir, "packages/base/busybox/definition.yaml"), "description: the busybox binary", "description: busybox")
		}, []string{"base/busybox@1.35.0"}, "Servus, friends of flavor!\n", true},
		{"only [vars]", func() { editFile(t, filepath.Join(dir, "flavor.toml"), `AUDIENCE = "friends"`, `AUDIENCE = "fans"`) },
			nil, "Servus, fans of flavor!\n", false},
	}
	prevSum, prevLock := fileSum(t, psp), before
	for _, st := range steps {
		st.edit()
		rep := amd64Pack(t, dir, cache)
		for pkg, src := range rep.sources() {
			name := strings.TrimSuffix(pkg, " linux/amd64")
			want := "cached"
			for _, r := range st.rebuilt {
				if r == name {
					want = "built"
				}
			}
			if src != want {
				t.Errorf("%s: %s was %s, want %s", st.name, name, src, want)
			}
		}
		if st.rebuilt == nil && rep.Install.Containers != 0 {
			t.Errorf("%s: %d containers started", st.name, rep.Install.Containers)
		}
		if (len(rep.Install.Changed) > 0) != st.relocked {
			t.Errorf("%s: entries resolved again: %+v", st.name, rep.Install.Changed)
		}
		sum := fileSum(t, psp)
		if sum == prevSum {
			t.Errorf("%s: the package was not written again", st.name)
		}
		out, stderr, code := runPSP(t, psp, t.TempDir(), "de")
		if code != 0 || out != st.output {
			t.Errorf("%s: the package printed %q (exit %d, %s), want %q", st.name, out, code, stderr, st.output)
		}
		now := readLock()
		if now.ManifestDigest == prevLock.ManifestDigest && st.name == "only [vars]" {
			t.Errorf("%s: the lock keeps the old manifest digest", st.name)
		}
		old, _ := prevLock.Entry("hello", "linux/amd64")
		cur, _ := now.Entry("hello", "linux/amd64")
		if (old.SpecDigest != cur.SpecDigest) != st.relocked {
			t.Errorf("%s: spec digest %s → %s", st.name, old.SpecDigest, cur.SpecDigest)
		}
		prevSum, prevLock = sum, now
	}
	ex := t.TempDir()
	runBundleFlavor(t, dir, cache, "extract", psp, "--slot", "app", "--out", ex).must(t, "extract")
	if b, err := os.ReadFile(filepath.Join(ex, "banner.txt")); err != nil || string(b) != "Bonjour, world!\n" {
		t.Errorf("banner.txt %q (%v)", b, err)
	}
	// The launcher digest stays what the first pack locked.
	if a, b := before.Launchers["linux/amd64"], prevLock.Launchers["linux/amd64"]; a == "" || a != b {
		t.Errorf("launcher digest %q → %q", a, b)
	}
}
