package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/bundle"
	"github.com/flavor-dev/flavor/internal/testbin"
	"github.com/flavor-dev/flavor/launcher"
)

// launcherBin is the real launcher for this machine, built once by testbin.
var launcherBin string

func TestMain(m *testing.M) {
	p, err := testbin.Launcher("", "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	launcherBin = p
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

const (
	exampleManifest = "../../examples/local/flavor.toml"
	hostPlatform    = runtime.GOOS + "/" + runtime.GOARCH
	seedPub         = "d27367ba3d436463c468ecc68cfd2735b4d33b6be611355d72ac03666b47335d" // --key-seed test123
)

// packExample packs examples/local with the real launcher and the test123 seed into a fresh
// directory and returns the package path.
func packExample(t *testing.T, extra ...string) string {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"pack", "--manifest", exampleManifest, "--launcher-bin", launcherBin, "--key-seed", "test123", "-o", out}, extra...)
	stdout, stderr, code := runApp(t, args...)
	if code != 0 {
		t.Fatalf("pack exited %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	osName, arch, _ := strings.Cut(hostPlatform, "/")
	return filepath.Join(out, "hello-local-1.0.0-"+osName+"-"+arch+".psp")
}

// runPSP runs a package with its own cache and a minimal environment.
func runPSP(t *testing.T, psp, cache string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(psp, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "FLAVOR_CACHE=" + cache, "LANG=C"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running %s: %v", psp, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

func TestPackAndRunExample(t *testing.T) {
	psp := packExample(t)
	cache := t.TempDir()
	want := "hello, world of flavor (mode demo)\n" +
		"config: colour=green\n" +
		"activated: yes\n" +
		"arg: --from\n" +
		"arg: the package's args\n" +
		"HELLO!\n" +
		"arg: two words\n"
	for _, run := range []string{"cold", "warm"} {
		t.Run(run, func(t *testing.T) {
			stdout, stderr, code := runPSP(t, psp, cache, "--shout", "two words", "--exit", "3")
			if code != 3 {
				t.Fatalf("exit %d, want 3 (from --exit 3)\nstderr: %s", code, stderr)
			}
			if stdout != want {
				t.Fatalf("stdout:\n%s\nwant:\n%s", stdout, want)
			}
		})
	}
	if _, _, code := runPSP(t, psp, cache); code != 0 {
		t.Fatalf("exit %d without --exit, want 0", code)
	}
}

func TestPackTwiceGivesTheSameBytes(t *testing.T) {
	for _, epoch := range []string{"", "1700000000"} {
		t.Run("SOURCE_DATE_EPOCH="+epoch, func(t *testing.T) {
			t.Setenv("SOURCE_DATE_EPOCH", epoch)
			a, err := os.ReadFile(packExample(t))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(packExample(t))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Fatal("two packs of examples/local with the same key differ")
			}
		})
	}
	t.Run("FLAVOR_SEED is the same key", func(t *testing.T) {
		out := t.TempDir()
		t.Setenv("FLAVOR_SEED", "test123")
		stdout, stderr, code := runApp(t, "pack", "-m", exampleManifest, "--launcher-bin", launcherBin, "-o", out, "--output-format", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var res packResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("JSON output does not parse: %v\n%s", err, stdout)
		}
		a, _ := os.ReadFile(res.Packages[0].Path)
		b, _ := os.ReadFile(packExample(t))
		if res.Key.Origin != bundle.KeySeed || res.Key.PublicKey != seedPub || !bytes.Equal(a, b) {
			t.Fatalf("FLAVOR_SEED did not sign like --key-seed: %+v", res.Key)
		}
	})
}

func TestPackJSON(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, code := runApp(t, "pack", "-m", exampleManifest, "--launcher-bin", launcherBin, "--key-seed", "test123",
		"-o", out, "--output-format", "json", "--progress", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res packResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if len(res.Packages) != 1 || res.Packages[0].Platform != hostPlatform || !strings.HasPrefix(res.Packages[0].SHA256, "sha256:") ||
		len(res.Packages[0].Slots) != 2 || res.Key.PublicKey != seedPub || res.Key.Ephemeral {
		t.Fatalf("result %+v", res)
	}
	// Progress went to stderr as JSON lines.
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	var stages []string
	for _, l := range lines {
		var u struct{ Stage string }
		if err := json.Unmarshal([]byte(l), &u); err != nil {
			t.Fatalf("progress line %q is not JSON: %v", l, err)
		}
		stages = append(stages, u.Stage)
	}
	if stages[0] != "package" || stages[len(stages)-1] != "done" {
		t.Fatalf("progress stages %v", stages)
	}
}

func TestPackTextAndWarnings(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, code := runApp(t, "pack", "-m", exampleManifest, "--launcher-bin", launcherBin, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "hello-local-1.0.0-") || !strings.Contains(stdout, hostPlatform) || !strings.Contains(stdout, "sha256:") {
		t.Errorf("stdout %q does not name the package", stdout)
	}
	if !strings.Contains(stderr, "flavor: warning: no signing key given") || !strings.Contains(stderr, "cannot be verified against a trusted key") {
		t.Errorf("no throwaway-key warning on stderr: %q", stderr)
	}
	_, stderr, _ = runApp(t, "--quiet", "pack", "-m", exampleManifest, "--launcher-bin", launcherBin, "-o", out, "--key-seed", "x")
	if stderr != "" {
		t.Errorf("--quiet still printed %q", stderr)
	}
}

func TestPackDefaultManifestAndOutput(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "../../examples/local", dir)
	t.Chdir(dir)
	_, stderr, code := runApp(t, "pack", "--launcher-bin", launcherBin, "--key-seed", "k", "--output", "signed.psp")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "signed.psp")); err != nil {
		t.Fatalf("--output signed.psp: %v", err)
	}
	_, stderr, code = runApp(t, "pack", "--launcher-bin", launcherBin, "--key-seed", "k")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "dist", "hello-local-1.0.0-"+strings.ReplaceAll(hostPlatform, "/", "-")+".psp")); err != nil {
		t.Fatalf("default output: %v", err)
	}
	os.Remove("flavor.toml")
	_, stderr, code = runApp(t, "pack")
	if code != 1 || !strings.Contains(stderr, "no flavor.toml or pyproject.toml in the working directory") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestPackErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := "schema-version = \"1\"\n[package]\nname = \"x\"\nversion = \"1\"\n[execution]\ncommand = \"sh\"\n"
	keysA, keysB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, k := range []string{keysA, keysB} {
		if _, stderr, code := runApp(t, "keygen", "-o", k); code != 0 {
			t.Fatal(stderr)
		}
	}
	otherArch, hostSystem := "linux/arm64", "linux/amd64"
	if runtime.GOARCH == "arm64" {
		otherArch, hostSystem = "linux/amd64", "linux/arm64"
	}
	if err := os.MkdirAll(filepath.Join(dir, "tree", "apps", "other"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("tree/apps/other/definition.yaml", "name: other\ncategory: apps\nversion: \"1\"\n")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing manifest", []string{"-m", filepath.Join(dir, "none.toml")}, "reading manifest: open " + filepath.Join(dir, "none.toml") + ": no such file or directory"},
		{"unknown key", []string{"-m", write("typo.toml", strings.Replace(good, "\nversion = \"1\"", "\nverison = \"1\"", 1))},
			filepath.Join(dir, "typo.toml") + `:4: unknown key "verison" in [package]; did you mean "version"?`},
		{"install of a package the trees lack", []string{"-m", write("install.toml", good+"[options]\ntrees = [\"tree\"]\n[install]\nhello.pkg-path = \"apps/hello\"\n")},
			"[install] hello for " + hostSystem + ": looking up apps/hello: package not found: no package apps/hello in the tree\n  fix: change hello.pkg-path in " +
				filepath.Join(dir, "install.toml") + " to a package of the trees (" + filepath.Join(dir, "tree") + ")"},
		{"launcher for another platform", []string{"-m", write("ok.toml", good), "--platform", otherArch},
			"no launcher file for " + otherArch},
		{"one file, two platforms", []string{"-m", write("two.toml", good+"[options]\nsystems = [\"linux/amd64\", \"linux/arm64\"]\n"), "-o", filepath.Join(dir, "one.psp")},
			"one output file for 2 platforms"},
		{"bad platform", []string{"-m", write("ok2.toml", good), "--platform", "plan9/386"}, `platform "plan9/386"`},
		{"bad validation", []string{"-m", write("ok3.toml", good), "--validation", "paranoid"}, "--validation"},
		{"missing key file", []string{"-m", write("ok4.toml", good), "--private-key", filepath.Join(dir, "nokey")}, "reading signing key " + filepath.Join(dir, "nokey")},
		{"stray argument", []string{"-m", write("ok5.toml", good), "extra"}, `unexpected argument "extra"`},
		{"mismatched key pair", []string{"-m", write("ok6.toml", good), "--private-key", filepath.Join(keysA, "flavor-private.key"),
			"--public-key", filepath.Join(keysB, "flavor-public.key")}, "reading signing key " + filepath.Join(keysA, "flavor-private.key")},
		{"public key of another seed", []string{"-m", write("ok7.toml", good), "--key-seed", "a", "--public-key", filepath.Join(keysB, "flavor-public.key")},
			"does not belong to the signing key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"pack", "--launcher-bin", launcherBin, "-o", filepath.Join(dir, "out")}, tc.args...)
			_, stderr, code := runApp(t, args...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr, tc.want)
			}
		})
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "out")); len(ents) != 0 {
		t.Fatalf("failed packs left %d files", len(ents))
	}
}

func TestPackPyproject(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "src", "main.sh"), []byte("echo from pyproject\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte(`[project]
name = "pyapp"
version = "2.0.0"

[tool.flavor.execution]
command = "sh {workenv}/main.sh"

[[tool.flavor.slots.entries]]
name = "src"
source = "src/"
operations = "tar.gz"
`), 0o644)
	t.Chdir(dir)
	stdout, stderr, code := runApp(t, "pack", "--launcher-bin", launcherBin, "--key-seed", "k", "--output-format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res packResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	psp := res.Packages[0].Path
	if !strings.HasSuffix(psp, "pyapp-2.0.0-"+strings.ReplaceAll(hostPlatform, "/", "-")+".psp") {
		t.Fatalf("package %s", psp)
	}
	if out, stderr, code := runPSP(t, psp, t.TempDir()); code != 0 || out != "from pyproject\n" {
		t.Fatalf("run: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

func FuzzQuoteCommand(f *testing.F) {
	f.Add("plain", "two words", "it's")
	f.Add("", `back\slash"`, "\t\n")
	f.Add("{workenv}/x", "$HOME", "'")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		words := []string{a, b, c}
		got, err := launcher.SplitCommand(bundle.QuoteCommand(words...))
		if err != nil {
			t.Fatalf("split of %q: %v", bundle.QuoteCommand(words...), err)
		}
		if !reflect.DeepEqual(got, words) {
			t.Fatalf("QuoteCommand(%q) = %s splits into %q", words, bundle.QuoteCommand(words...), got)
		}
	})
}

// copyTree copies the regular files and directories under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "dist" {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
