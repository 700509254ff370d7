//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDebianUnpackLayers: an `unpack` package of the two-layer Debian image ships what the top
// layer shows: /etc/motd, whited out by layer 2, is not resurrected from layer 1; the opaque
// /usr/share/doc holds only layer 2's README; layer 2's new /etc/flavor-image is there. The
// package also carries Debian's absolute links (/usr/bin/awk -> /etc/alternatives/awk ->
// /usr/bin/mawk), which pack rewrites, and its command, the dynamically linked mawk, runs
// through the packed loader.
func TestDebianUnpackLayers(t *testing.T) {
	dockerEngine(t) // fails now, naming the problem, when the engine is not there
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"packages/base/layers/definition.yaml": "name: layers\ncategory: base\nversion: \"1\"\n",
		"packages/base/layers/build.yaml": `image: 127.0.0.1:5000/debian:bookworm
unpack: true
includes:
- ^/etc/motd$
- ^/etc/flavor-image$
- ^/usr/share/doc/
- ^/etc/alternatives/awk$
- ^/usr/bin/(awk|mawk)$
- ^/lib$
- ^/lib64$
- ^/usr/lib64/
- ^/usr/lib/x86_64-linux-gnu/(ld-linux[^/]*|libc\.so\.6|libm\.so\.6)$
`,
		"flavor.toml": `schema-version = "1"
[package]
name = "layers"
version = "1.0.0"
[options]
systems = ["linux/amd64"]
trees = ["packages"]
[install]
layers.pkg-path = "base/layers"
[execution]
command = "{workenv}/usr/bin/awk 'BEGIN { print \"awk from debian\" }'"
`,
	})
	args := append([]string{"pack", "--output-format", "json", "--key-seed", "layers"}, launcherArgs(t)...)
	r := runBundleFlavor(t, dir, filepath.Join(dir, ".cache"), append(args, "-o", "dist")...).must(t, "packing the unpack package")
	psp := r.report(t).psps()["linux/amd64"]
	if !filepath.IsAbs(psp) {
		psp = filepath.Join(dir, psp)
	}
	runBundleFlavor(t, dir, filepath.Join(dir, ".cache"), "verify", psp).must(t, "verifying")
	out := filepath.Join(t.TempDir(), "x")
	runBundleFlavor(t, dir, filepath.Join(dir, ".cache"), "extract", "--out", out, psp).must(t, "extracting")
	if _, err := os.Lstat(filepath.Join(out, "etc/motd")); err == nil {
		t.Errorf("etc/motd, whited out by the top layer, is in the package")
	}
	if b, err := os.ReadFile(filepath.Join(out, "etc/flavor-image")); err != nil || !strings.Contains(string(b), "flavor test image") {
		t.Errorf("etc/flavor-image of the top layer: %q, %v", b, err)
	}
	ents, _ := os.ReadDir(filepath.Join(out, "usr/share/doc"))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "README" {
		t.Errorf("usr/share/doc holds %q: want only the top layer's README (the directory is opaque)", names)
	}
	for _, l := range []string{"usr/bin/awk", "etc/alternatives/awk"} {
		if target, err := os.Readlink(filepath.Join(out, l)); err != nil || filepath.IsAbs(target) {
			t.Errorf("%s -> %q (%v): want Debian's absolute link rewritten relative", l, target, err)
		}
	}
	stdout, stderr, code := runPSP(t, psp, t.TempDir())
	if code != 0 || stdout != "awk from debian\n" {
		t.Fatalf("running: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
