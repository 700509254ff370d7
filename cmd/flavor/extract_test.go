package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

// files lists the regular files under dir with their content.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			b, _ := os.ReadFile(p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return out
}

func TestExtract(t *testing.T) {
	psp := packExample(t)
	script, err := os.ReadFile("../../examples/local/app/bin/hello.sh")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want map[string]string
	}{
		{"all", nil, map[string]string{"bin/hello.sh": string(script), "etc/greeting.conf": "colour=green\n"}},
		{"by id", []string{"--slot", "config"}, map[string]string{"etc/greeting.conf": "colour=green\n"}},
		{"by index", []string{"-s", "0"}, map[string]string{"bin/hello.sh": string(script)}},
		{"comma list", []string{"--slot", "config,0"}, map[string]string{"bin/hello.sh": string(script), "etc/greeting.conf": "colour=green\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "x")
			stdout, stderr, code := runApp(t, append([]string{"extract", psp, "--out", out}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got := files(t, out); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("extracted %v, want %v", got, tc.want)
			}
			if !strings.Contains(stdout, "→ "+out) {
				t.Errorf("stdout %q does not say where", stdout)
			}
		})
	}
	t.Run("json and modes", func(t *testing.T) {
		out := t.TempDir()
		stdout, _, code := runApp(t, "extract", psp, "--out", out, "--output-format", "json")
		var res extractResult
		if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || len(res.Slots) != 2 || res.Slots[1].Path != filepath.Join(out, "etc/greeting.conf") {
			t.Fatalf("exit %d, result %s", code, stdout)
		}
		if st, err := os.Stat(filepath.Join(out, "bin/hello.sh")); err != nil || st.Mode().Perm() != 0o755 {
			t.Fatalf("hello.sh mode %v (%v), want 0755", st.Mode(), err)
		}
	})
}

func TestExtractRefuses(t *testing.T) {
	psp := packExample(t)
	// Damage slot 1: nothing at all may be written, not even slot 0.
	bad := damaged(t, psp, func(p *packer.Package) int64 { d, _ := p.Descriptor(1); return int64(d.Offset) + 3 })
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"damaged slot", []string{bad}, 2, "extract: slot checksums check failed"},
		{"untrusted", []string{psp, "-k", "3cf9469205ba8dfccfd606c3eef6550016852c61d1e3594e2058433e841c98c9"}, 2, "extract: trust check failed"},
		{"hostile entry", []string{hostilePackage(t)}, 2, `"../escape.txt" has a ".." component`},
		{"no such slot", []string{psp, "--slot", "nope"}, 1, `--slot "nope": ` + psp + " has no such slot (it has 0=app, 1=config, 2=flavor.sbom.spdx, 3=flavor.sbom.cyclonedx, 4=flavor.provenance)"},
		{"slot out of range", []string{psp, "--slot", "5"}, 1, "has no such slot"},
		{"missing package", []string{filepath.Join(t.TempDir(), "none.psp")}, 1, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			_, stderr, code := runApp(t, append([]string{"extract", "--out", out}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
			if got := files(t, out); len(got) != 0 {
				keys := make([]string, 0, len(got))
				for k := range got {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				t.Fatalf("a refused extraction wrote %v", keys)
			}
		})
	}
	_, stderr, code := runApp(t, "extract", psp)
	if code != 1 || !strings.Contains(stderr, "--out DIR is required") {
		t.Fatalf("no --out: exit %d, stderr %q", code, stderr)
	}
}
