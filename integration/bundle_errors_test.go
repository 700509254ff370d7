//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBundleManifestErrors: a manifest with a typo, a missing package, an unsatisfiable version,
// a flavor no variant satisfies, or a system the tree cannot build fails with a message naming
// the entry and the fix, before any container starts, and leaves no .psp and no lock behind.
func TestBundleManifestErrors(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureExampleBases(t, d)
	tests := []struct {
		name string
		edit func(t *testing.T, dir string)
		want []string
	}{
		{"typo", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, "flavor.toml"), "hello.pkg-group", "hello.pkg-grup")
		}, []string{`unknown key "pkg-grup" in [install.hello]; did you mean "pkg-group"?`}},
		{"missing package", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, "flavor.toml"), `"apps/hello"`, `"apps/helo"`)
		}, []string{"[install] hello for linux/amd64, linux/arm64", "no package apps/helo in the tree (did you mean apps/hello?)", "fix: change hello.pkg-path in"}},
		{"unsatisfiable version", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, "flavor.toml"), `">=1.0, <2"`, `">=2"`)
		}, []string{"[install] hello for linux/amd64, linux/arm64", `no version of apps/hello satisfies ">=2"; known versions: 1.0.0`, "fix: change hello.version in"}},
		{"no variant satisfies the flavor", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, "flavor.toml"), `hello.pkg-group = "app"`, "hello.pkg-group = \"app\"\nhello.flavor = \"shout\"")
			editFile(t, filepath.Join(dir, "packages/apps/hello/definition.yaml"), "  shout: false\n", "  shout: false\nvariants: [\"!shout\"]\n")
		}, []string{"[install] hello for linux/amd64", `no variant of apps/hello@1.0.0 satisfies the requested flavor "shout is: x86_64"`,
			`"~!shout is: x86_64": it has "~!shout", the requested flavor has "shout"`, "fix: change hello.flavor or options.flavor"}},
		{"a system the tree cannot build", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, "packages/base/busybox/build.yaml"), "unpack: true", "platforms: [linux/amd64]\nunpack: true")
		}, []string{"[install] hello for linux/arm64: package does not build for the system: base/busybox@1.35.0 (a runtime dependency of apps/hello@1.0.0) builds only for linux/amd64",
			`fix: set hello.systems = ["linux/amd64"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyExample(t)
			tt.edit(t, dir)
			start := time.Now()
			r := runBundleFlavor(t, dir, t.TempDir(), append([]string{"pack"}, launcherArgs(t)...)...)
			if r.code != 1 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, r.stderr)
				}
			}
			if hasPSP(filepath.Join(dir, "dist")) {
				t.Errorf("left %v in dist/", listDir(filepath.Join(dir, "dist")))
			}
			if _, err := os.Stat(filepath.Join(dir, "flavor.lock")); err == nil {
				t.Error("wrote a lock")
			}
			if n := creations(t, r.pid, start, time.Now()); n != 0 {
				t.Errorf("%d containers were created", n)
			}
		})
	}
}

// TestBundleLockedRefuses: --locked without a lock, and with a lock an entry of which is stale,
// fails naming the entry and the fix, and writes nothing.
func TestBundleLockedRefuses(t *testing.T) {
	t.Parallel()
	e := packedExample(t)
	dir := copyExample(t)
	args := append([]string{"pack", "--locked"}, launcherArgs(t)...)
	r := runBundleFlavor(t, dir, e.cache, args...)
	if r.code != 1 || !strings.Contains(r.stderr, `there is no flavor.lock; run "flavor lock"`) {
		t.Fatalf("no lock: exit %d\n%s", r.code, r.stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "flavor.lock"), e.lockRaw, 0o644); err != nil {
		t.Fatal(err)
	}
	editFile(t, filepath.Join(dir, "flavor.toml"), `">=1.0, <2"`, `">=1.0"`)
	r = runBundleFlavor(t, dir, e.cache, args...)
	if r.code != 1 || !strings.Contains(r.stderr, `flavor.lock entry "hello" for linux/amd64 is stale: version changed from ">=1.0, <2" to ">=1.0"; run "flavor lock --update hello"`) {
		t.Fatalf("stale lock: exit %d\n%s", r.code, r.stderr)
	}
	if hasPSP(filepath.Join(dir, "dist")) {
		t.Errorf("left %v in dist/", listDir(filepath.Join(dir, "dist")))
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "flavor.lock")); string(now) != string(e.lockRaw) {
		t.Error("--locked rewrote the lock")
	}
	// `flavor lock` accepts the change: the entry keeps its version and is resolved again.
	r = runBundleFlavor(t, dir, e.cache, append([]string{"lock", "--output-format", "json"}, launcherArgs(t)...)...).must(t, "lock")
	if !strings.Contains(r.stdout, `"why": "version changed from \">=1.0, <2\" to \">=1.0\""`) || !strings.Contains(r.stdout, `"written": true`) {
		t.Fatalf("flavor lock:\n%s", r.stdout)
	}
	runBundleFlavor(t, dir, e.cache, args...).must(t, "pack --locked after flavor lock")
}
