package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/platform"
)

// spellingTable is platform's table of spellings (canonical platform → the ways users write it),
// shared with platform's own tests.
func spellingTable(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../../platform/testdata/spellings.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string][]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// fakeLauncher writes a file whose header says it is an executable for p (an ELF, Mach-O or PE
// header and nothing else): enough for pack, which reads the platform from the header.
func fakeLauncher(t *testing.T, dir string, p platform.Platform) string {
	t.Helper()
	var b []byte
	switch p.OS {
	case "linux":
		b = make([]byte, 64)
		copy(b, "\x7fELF")
		b[4], b[5], b[6] = 2, 1, 1
		binary.LittleEndian.PutUint16(b[16:], 2)
		binary.LittleEndian.PutUint16(b[18:], map[string]uint16{"amd64": 62, "arm64": 183}[p.Arch])
		binary.LittleEndian.PutUint32(b[20:], 1)
		binary.LittleEndian.PutUint16(b[52:], 64)
	case "darwin":
		b = make([]byte, 32)
		binary.LittleEndian.PutUint32(b, 0xfeedfacf)
		binary.LittleEndian.PutUint32(b[4:], map[string]uint32{"amd64": 0x01000007, "arm64": 0x0100000c}[p.Arch])
		binary.LittleEndian.PutUint32(b[12:], 2)
	case "windows":
		b = make([]byte, 512)
		copy(b, "MZ")
		binary.LittleEndian.PutUint32(b[0x3c:], 0x40)
		copy(b[0x40:], "PE\x00\x00")
		binary.LittleEndian.PutUint16(b[0x44:], 0x8664)
	}
	path := filepath.Join(dir, "launcher-"+strings.ReplaceAll(p.String(), "/", "-"))
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPlatformSpellings checks that every spelling of a platform means the same platform in
// `flavor tree`, `flavor build`, `flavor pack` and `flavor image`.
func TestPlatformSpellings(t *testing.T) {
	table := spellingTable(t)
	dir := t.TempDir()

	// tree: a package only for linux/mips64le; asking for it on another platform names the
	// platform as the tree read it.
	tree := filepath.Join(dir, "tree")
	os.MkdirAll(filepath.Join(tree, "a"), 0o755)
	os.WriteFile(filepath.Join(tree, "a/definition.yaml"), []byte("name: a\ncategory: t\nversion: \"1\"\n"), 0o644)
	os.WriteFile(filepath.Join(tree, "a/build.yaml"), []byte("image: busybox\nplatforms: [linux/mips64le]\n"), 0o644)

	// pack: one fake launcher per launcher system; --platform picks one of them.
	var launcherArgs []string
	for _, p := range platform.LauncherSystems() {
		launcherArgs = append(launcherArgs, "--launcher-bin", fakeLauncher(t, dir, p))
	}

	// image: a tiny root filesystem.
	rootfs := filepath.Join(dir, "rootfs")
	os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755)
	os.WriteFile(filepath.Join(rootfs, "etc/hostname"), []byte("x\n"), 0o644)

	for want, ins := range table {
		for _, in := range ins {
			t.Run(want+"="+in, func(t *testing.T) {
				_, stderr, code := runApp(t, "tree", "order", "--tree", tree, "--platform", in, "t/a")
				if code != 1 || !strings.Contains(stderr, "does not support "+want+" ") {
					t.Errorf("tree: exit %d, stderr %q; want \"does not support %s\"", code, stderr, want)
				}

				if got := buildPlatforms(t, "--platform", in, "t/a"); len(got) != 1 || got[0].String() != want {
					t.Errorf("build: platforms %v, want [%s]", got, want)
				}

				stdout, stderr, code := runApp(t, "--output-format", "json", "image", "import", rootfs,
					"--platform", in, "--oci-layout", filepath.Join(t.TempDir(), "layout"), "--tag", "base:1")
				var img importResult
				if code != 0 || json.Unmarshal([]byte(stdout), &img) != nil || img.Platform != want {
					t.Errorf("image import: exit %d, result %+v, stderr %q; want platform %s", code, img, stderr, want)
				}

				if !platform.HasLauncher(platform.MustParse(want)) {
					return
				}
				args := append([]string{"--output-format", "json", "pack", "-m", exampleManifest, "--key-seed", "k",
					"--validation", "none", "-o", t.TempDir(), "--platform", in}, launcherArgs...)
				stdout, stderr, code = runApp(t, args...)
				var res packResult
				if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || len(res.Packages) != 1 || res.Packages[0].Platform != want {
					t.Errorf("pack: exit %d, result %+v, stderr %q; want one package for %s", code, res, stderr, want)
				}
			})
		}
	}
}

// buildPlatforms runs `flavor build` with args up to the point where it has turned the flags into
// a builder.Request (buildRequest, what buildAction calls before it opens the engine) and
// returns the request's platforms: the rest of a build needs a container engine.
func buildPlatforms(t *testing.T, args ...string) []platform.Platform {
	t.Helper()
	app := New()
	var got []platform.Platform
	for _, c := range app.Commands {
		if c.Name == "build" {
			c.Action = func(c *cli.Context) error {
				req, err := buildRequest(c)
				got = req.Platforms
				return err
			}
		}
	}
	app.Writer, app.ErrWriter = new(strings.Builder), new(strings.Builder)
	if code := run(t.Context(), app, append([]string{"flavor", "build"}, args...)); code != 0 {
		t.Fatalf("build %v exited %d: %s", args, code, app.ErrWriter)
	}
	return got
}

// TestSourceDateEpochRead checks that the one reader of SOURCE_DATE_EPOCH refuses a bad value
// for every command that uses it, and that a good one reaches the libraries (image import's
// config records it as the creation time).
func TestSourceDateEpochRead(t *testing.T) {
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	os.MkdirAll(rootfs, 0o755)
	os.WriteFile(filepath.Join(rootfs, "f"), []byte("x"), 0o644)
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	for _, args := range [][]string{
		{"image", "import", rootfs, "--platform", "linux/amd64", "--oci-layout", filepath.Join(dir, "l")},
		{"pack", "-m", exampleManifest, "--launcher-bin", launcherBin, "-o", filepath.Join(dir, "out")},
		{"lock", "-m", exampleManifest},
		{"build", "--all", "--tree", dir}, // refused before the engine is opened
	} {
		_, stderr, code := runApp(t, args...)
		if code == 0 || !strings.Contains(stderr, `SOURCE_DATE_EPOCH="yesterday"`) {
			t.Errorf("%v: exit %d, stderr %q; want the bad SOURCE_DATE_EPOCH named", args, code, stderr)
		}
	}
	t.Setenv("SOURCE_DATE_EPOCH", " 86400 ")
	if p, err := sourceDateEpoch(); err != nil || p == nil || p.Unix() != 86400 {
		t.Fatalf("sourceDateEpoch() = %v, %v", p, err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if p, err := sourceDateEpoch(); err != nil || p != nil {
		t.Fatalf("unset: %v, %v", p, err)
	}
}
