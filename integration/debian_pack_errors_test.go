//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDebianPackErrors: what a package built from the Debian image cannot ship stops `flavor pack`
// with an error naming the file and the fix, and nothing is written to the output: a symlink to
// a file the package lacks (Debian's /usr/bin/awk -> /etc/alternatives/awk), a link climbing out
// of the workenv, a device node, and a library a portable command needs that is not packed.
func TestDebianPackErrors(t *testing.T) {
	dockerEngine(t) // fails now, naming the problem, when the engine is not there
	const image = "image: 127.0.0.1:5000/debian:bookworm\n"
	for _, tc := range []struct {
		name  string
		build string   // build.yaml
		exec  string   // the [execution] table
		want  []string // in stderr
	}{
		{
			name:  "absolute link to a file not packed",
			build: image + "unpack: true\nincludes:\n- ^/usr/bin/awk$\n",
			exec:  "command = \"{workenv}/usr/bin/awk\"\n",
			want: []string{`usr/bin/awk: symlink to the absolute path "/etc/alternatives/awk", which is not in the slot`,
				"include etc/alternatives/awk in the slot, or leave usr/bin/awk out"},
		},
		{
			name:  "link climbing out of the workenv",
			build: image + "package_dir: /out\nsteps:\n- mkdir -p /out/bin && ln -s ../../../etc/passwd /out/bin/passwd\n",
			exec:  "command = \"{workenv}/bin/passwd\"\n",
			want:  []string{`bin/passwd`, `../../../etc/passwd`, "point it at a file inside the package"},
		},
		{
			name:  "device node",
			build: image + "package_dir: /out\nsteps:\n- mkdir -p /out/dev && mknod /out/dev/null c 1 3\n",
			exec:  "command = \"{workenv}/dev/null\"\n",
			want:  []string{"dev/null", "leave dev/null out of the slot: the launcher does not create devices"},
		},
		{
			name: "library of a portable command not packed",
			build: image + `unpack: true
includes:
- ^/usr/bin/mawk$
- ^/lib$
- ^/lib64$
- ^/usr/lib64/
- ^/usr/lib/x86_64-linux-gnu/(ld-linux[^/]*|libc\.so\.6)$
`,
			exec: "command = \"{workenv}/usr/bin/mawk\"\nportable = true\n",
			want: []string{"usr/bin/mawk needs libm.so.6: include it in the package", `includes: ['/libm\.so\.6$']`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"packages/base/bad/definition.yaml": "name: bad\ncategory: base\nversion: \"1\"\n",
				"packages/base/bad/build.yaml":      tc.build,
				"flavor.toml": `schema-version = "1"
[package]
name = "bad"
version = "1.0.0"
[options]
systems = ["linux/amd64"]
trees = ["packages"]
[install]
bad.pkg-path = "base/bad"
[execution]
` + tc.exec,
			})
			args := append([]string{"pack", "--key-seed", "bad", "-o", "dist"}, launcherArgs(t)...)
			r := runBundleFlavor(t, dir, filepath.Join(dir, ".cache"), args...)
			if r.code == 0 {
				t.Fatalf("pack succeeded:\n%s", r.stderr)
			}
			t.Logf("pack exited %d: %s", r.code, lastLine(r.stderr))
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("the error does not say %q:\n%s", w, r.stderr)
				}
			}
			if ents, err := os.ReadDir(filepath.Join(dir, "dist")); err == nil && len(ents) > 0 {
				var left []string
				for _, e := range ents {
					left = append(left, e.Name())
				}
				t.Errorf("pack failed but left %v in the output directory", left)
			}
		})
	}
}

// lastLine is the last non-empty line of s: the error flavor ends with.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
