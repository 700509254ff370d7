package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// lockTestDir writes a manifest with an [install] entry over a one-package tree.
func lockTestDir(t *testing.T, install string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"flavor.toml": "schema-version = \"1\"\n[package]\nname = \"x\"\nversion = \"1\"\n[execution]\ncommand = \"sh\"\n" +
			"[options]\nsystems = [\"linux/amd64\"]\ntrees = [\"tree\"]\n[install]\n" + install,
		"tree/apps/hello/definition.yaml": "name: hello\ncategory: apps\nversion: \"1.0\"\nflags: {shout: false}\nvariants: [\"!shout\"]\n",
		"tree/apps/hello/build.yaml":      "image: base\nsteps: [\"true\"]\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestLockAndPackRefuseBeforeBuilding: mistakes are reported before any engine is reached, and
// nothing is written.
func TestLockAndPackRefuseBeforeBuilding(t *testing.T) {
	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1") // no engine answers there: reaching it would fail differently
	cases := []struct {
		name    string
		install string
		args    []string
		want    string
	}{
		{"ids without --update", `hello.pkg-path = "apps/hello"` + "\n", []string{"lock", "hello"}, "install ids (hello) are only read with --update"},
		{"unknown --update id", `hello.pkg-path = "apps/hello"` + "\n", []string{"lock", "--update", "nope"}, "--update nope: no such install entry (the entries are hello)"},
		{"no variant", "hello.pkg-path = \"apps/hello\"\nhello.flavor = \"shout\"\n", []string{"lock"},
			`no variant of apps/hello@1.0 satisfies the requested flavor "shout is: x86_64"`},
		{"locked without a lock", `hello.pkg-path = "apps/hello"` + "\n", []string{"pack", "--locked"}, `there is no flavor.lock; run "flavor lock"`},
		{"pack, missing package", `hello.pkg-path = "apps/nope"` + "\n", []string{"pack"}, "fix: change hello.pkg-path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := lockTestDir(t, tc.install)
			args := append(tc.args, "-m", filepath.Join(dir, "flavor.toml"))
			_, stderr, code := runApp(t, args...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant %q", code, stderr, tc.want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 2 {
				t.Fatalf("left files beside the manifest: %v", ents)
			}
		})
	}
}

func TestInstallRows(t *testing.T) {
	prov := `{"origin":"install","pkg_group":"app","packages":[
		{"package":"base/rt@1","flavor":"is: x86_64","base_image":"base:1@sha256:0123456789abcdef0123","cache_key":"sha256:aaaaaaaaaaaaaaaaaaaa","artifact_digest":"sha256:bbbbbbbbbbbbbbbbbbbb","runtime_dependency":true},
		{"package":"apps/hello@1","flavor":"~!shout is: x86_64","cache_key":"sha256:cc","artifact_digest":"sha256:dd","install_ids":["hello"]}]}`
	slots := []inspectSlot{
		{ID: "app", Extras: map[string]json.RawMessage{"provenance": json.RawMessage(prov)}},
		{ID: "config", Extras: map[string]json.RawMessage{"provenance": json.RawMessage(`{"origin":"local","source":"config/"}`)}},
	}
	got := installRows(slots)
	want := [][]string{
		{"  slot", "package", "flavor", "base image", "cache key", "artifact"},
		{"  app", "base/rt@1 (runtime dependency)", "is: x86_64", "base:1@0123456789abcdef…", "aaaaaaaaaaaaaaaa…", "bbbbbbbbbbbbbbbb…"},
		{"  app", "apps/hello@1", "~!shout is: x86_64", "", "cc", "dd"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows\n%q\nwant\n%q", got, want)
	}
}
