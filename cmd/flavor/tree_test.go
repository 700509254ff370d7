package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func fixture(name string) string { return filepath.Join("..", "..", "specs", "testdata", "luet", name) }

func TestTreeListText(t *testing.T) {
	out, stderr, code := runApp(t, "tree", "list", "--tree", fixture("buildableseed"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "test/a@1.0\ntest/b@1.0\ntest/c@1.0\ntest/d@1.0\n"
	if out != want {
		t.Fatalf("out = %q, want %q", out, want)
	}
}

func TestTreeListSeveralTreesAndSubpackages(t *testing.T) {
	out, _, code := runApp(t, "tree", "list", "-t", fixture("subpackage"), "-t", fixture("simple_dep"))
	if code != 0 {
		t.Fatal(out)
	}
	for _, line := range []string{"sub/baz@1.0 (subpackage of sub/parent@1.0)", "sub/parent@1.0", "test/a@1.2", "test/c@1.0"} {
		if !strings.Contains(out, line+"\n") {
			t.Fatalf("out lacks %q:\n%s", line, out)
		}
	}
}

func flavoredTree(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"a/definition.yaml": "name: a\ncategory: t\nversion: \"1\"\nflags: {ssl: true, debug: false}\n",
		"a/build.yaml":      "image: busybox\nsteps:\n- echo {{ if .Flavor.ssl }}ssl{{ end }}\n",
		"b/definition.yaml": "name: b\ncategory: t\nversion: \"1\"\n",
	}
	for p, c := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644)
	}
	return dir
}

func TestTreeListFlavors(t *testing.T) {
	dir := flavoredTree(t)
	out, stderr, code := runApp(t, "tree", "list", "--tree", dir, "--flavors", "--platform", "linux/amd64", "--flavor", "!ssl,debug")
	if code != 0 {
		t.Fatal(stderr)
	}
	if out != "t/a@1 [debug,~!ssl is: x86_64]\nt/b@1 [is: x86_64]\n" {
		t.Fatalf("out = %q", out)
	}
	out, _, _ = runApp(t, "--output-format", "json", "tree", "list", "--tree", dir, "--flavors", "--platform", "linux/amd64")
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err, out)
	}
	if len(got) != 2 || got[0]["flavor"] != "~!debug,ssl is: x86_64" || !reflect.DeepEqual(got[0]["flags"], map[string]any{"ssl": true, "debug": false}) || got[1]["flavor"] != "is: x86_64" {
		t.Fatalf("json = %v", got)
	}
	// without --flavors, no flavor
	out, _, _ = runApp(t, "--output-format", "json", "tree", "list", "--tree", dir)
	if strings.Contains(out, "flavor") {
		t.Fatalf("flavor shown without --flavors: %s", out)
	}
}

func TestTreeDeps(t *testing.T) {
	out, stderr, code := runApp(t, "tree", "deps", "--tree", fixture("collections"), "test/baz")
	if code != 0 {
		t.Fatal(stderr)
	}
	want := "test/baz@1.1\nbuild dependencies, in build order:\n  (none)\nruntime dependencies:\n  test/foo@1.0\n  test/bar@1.0\n"
	if out != want {
		t.Fatalf("out = %q, want %q", out, want)
	}
	out, _, code = runApp(t, "--output-format", "json", "tree", "deps", "--tree", fixture("join_complex"), "test/x")
	var got struct {
		Package string
		Build   []string
		Join    []string
		Runtime []string
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("exit %d: %s", code, out)
	}
	if got.Package != "test/x@1.0" || !reflect.DeepEqual(got.Build, []string{"test/a@1.0", "test/b@1.0", "test/c@1.0", "test/f@1.0"}) ||
		!reflect.DeepEqual(got.Join, []string{"test/f@1.0", "test/c@1.0", "test/b@1.0"}) || len(got.Runtime) != 0 {
		t.Fatalf("deps = %+v", got)
	}
}

func TestTreeOrder(t *testing.T) {
	out, stderr, code := runApp(t, "tree", "order", "--tree", fixture("buildableseed"), "test/d")
	if code != 0 {
		t.Fatal(stderr)
	}
	want := "build order:\n  1. test/b@1.0\n  2. test/c@1.0\n  3. test/d@1.0\nlevels (packages of one level can build in parallel):\n  0: test/b@1.0\n  1: test/c@1.0\n  2: test/d@1.0\n"
	if out != want {
		t.Fatalf("out = %q, want %q", out, want)
	}
	out, _, code = runApp(t, "--output-format", "json", "tree", "order", "--tree", fixture("complex/selection"), "=sys-fs-5.4.2/vhba-20190410")
	var got struct {
		Targets []string
		Order   []string
		Levels  [][]string
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("exit %d: %s", code, out)
	}
	if len(got.Levels) != 6 || !reflect.DeepEqual(got.Levels[4], []string{"sys-kernel/linux-sabayon@5.4.2", "sys-kernel/sabayon-sources@5.4.2"}) ||
		got.Targets[0] != "sys-fs-5.4.2/vhba@20190410" || len(got.Order) != 7 {
		t.Fatalf("order = %+v", got)
	}
}

func TestTreeValuesAndPlatform(t *testing.T) {
	// values and platform reach the rendered requires (template_requires renders them)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	os.MkdirAll(filepath.Join(dir, "b"), 0o755)
	os.WriteFile(filepath.Join(dir, "a/definition.yaml"), []byte("name: a\ncategory: t\nversion: \"1\"\ndep: none\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "a/build.yaml"), []byte("image: busybox\n{{ if eq .Values.dep \"b\" }}requires:\n- {name: b, category: t}\n{{ end }}platforms: [linux/arm64]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b/definition.yaml"), []byte("name: b\ncategory: t\nversion: \"1\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b/build.yaml"), []byte("image: busybox\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "values.yaml"), []byte("dep: b\n"), 0o644)
	out, stderr, code := runApp(t, "tree", "order", "--tree", dir, "--platform", "linux/aarch64", "--values", filepath.Join(dir, "values.yaml"), "t/a")
	if code != 0 || !strings.Contains(out, "1. t/b@1\n  2. t/a@1\n") {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	_, stderr, code = runApp(t, "tree", "order", "--tree", dir, "--platform", "linux/amd64", "t/a")
	if code != 1 || !strings.Contains(stderr, "does not support linux/amd64") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestTreeErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown package", []string{"tree", "deps", "--tree", fixture("buildableseed"), "test/nope"}, "no package test/nope in the tree"},
		{"unsatisfiable", []string{"tree", "order", "--tree", fixture("buildableseed"), "test/d@>=2"}, `no version of test/d satisfies ">=2"`},
		{"not buildable", []string{"tree", "order", "--tree", fixture("virtuals"), "test/c"}, "no image and no requires"},
		{"bad reference", []string{"tree", "deps", "--tree", fixture("buildableseed"), "=test"}, "needs a category"},
		{"deps needs one package", []string{"tree", "deps", "--tree", fixture("buildableseed")}, "want PKG, got 0"},
		{"order needs a package", []string{"tree", "order", "--tree", fixture("buildableseed")}, "want PKG..., got 0"},
		{"list takes none", []string{"tree", "list", "--tree", fixture("buildableseed"), "x"}, "takes no arguments"},
		{"bad platform", []string{"tree", "list", "--tree", fixture("buildableseed"), "--platform", "amd64"}, "--platform"},
		{"bad flavor", []string{"tree", "list", "--tree", fixture("buildableseed"), "--flavor", "a b"}, "unexpected \"b\" after use flag"},
		{"missing tree", []string{"tree", "list", "--tree", "no/such/dir"}, "reading spec tree"},
		{"bad output format", []string{"--output-format", "yaml", "tree", "list", "--tree", fixture("buildableseed")}, "want text or json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := runApp(t, tt.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (out %q)", code, out)
			}
			if !strings.Contains(stderr, tt.want) || !strings.HasPrefix(stderr, "flavor: error: ") {
				t.Fatalf("stderr = %q, want it to say %q", stderr, tt.want)
			}
		})
	}
}

func TestTreeSpecErrorNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	os.WriteFile(filepath.Join(dir, "a/definition.yaml"), []byte("name: a\ncategory: t\nversion: \"1\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "a/build.yaml"), []byte("image: busybox\njoin:\n- {name: b}\n"), 0o644)
	where := filepath.Join(dir, "a", "build.yaml") + ":2:"
	// The problem is t/a's: listing reports it and succeeds; naming t/a fails.
	out, stderr, code := runApp(t, "tree", "list", "--tree", dir)
	if code != 0 || out != "" || !strings.Contains(stderr, where) || !strings.Contains(stderr, "requires_final_images") || !strings.Contains(stderr, "left out: t/a@1") {
		t.Fatalf("list: exit %d, out %q: %s", code, out, stderr)
	}
	_, stderr, code = runApp(t, "tree", "deps", "t/a", "--tree", dir)
	if code != 1 || !strings.Contains(stderr, "flavor: error: looking up t/a@>=0: invalid spec: t/a@1 cannot be used: "+where) {
		t.Fatalf("deps: exit %d: %s", code, stderr)
	}
}

func TestTreeMixed(t *testing.T) {
	mixed := filepath.Join("..", "..", "specs", "testdata", "mixed")
	out, stderr, code := runApp(t, "tree", "list", "--tree", mixed)
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr)
	}
	want := "test/app@1.0\ntest/base@1.0\ntest/environment@1.0\ntest/extra-keys@1.0\ntest/extra-keys-lib@1.0\n" +
		"test/needs-rpi@1.0\ntest/needs-typo@1.0\ntest/odd-names@1.0\ntest/repeated@1.0\ntest/rpi@rpi-6.6.y-1\n"
	if out != want {
		t.Fatalf("list =\n%s\nwant\n%s", out, want)
	}
	for _, w := range []string{
		"warning: " + filepath.Join(mixed, "environment", "build.yaml") + `:2: unknown key "environment" in the file is ignored, as luet ignores it (did you mean "env"?)`,
		"warning: " + filepath.Join(mixed, "extra-keys", "collection.yaml") + `:14: unknown keys "branch", "labels", "upx" in "requires[0]" are ignored`,
		"warning: " + filepath.Join(mixed, "repeated", "collection.yaml") + `:6: key "requires" appears twice in the collection entry (first on line 5); the last one is used`,
		"warning: " + filepath.Join(mixed, "odd-names", "definition.yaml") + `:5: reference other/dd/dd@>=0: category "other/dd"`,
		"warning: " + filepath.Join(mixed, "rpi", "definition.yaml") + `:1: version "rpi-6.6.y-1" cannot be ordered`,
		"error: " + filepath.Join(mixed, "typo", "build.yaml") + `:2: unknown key "stpes" in the file (did you mean "steps"?) [left out: test/typo@1.0]`,
		"error: " + filepath.Join(mixed, "unreadable", "definition.yaml") + ":3: not valid YAML",
		"2 error(s) leaving out 1 package(s), 6 warning(s)",
	} {
		if strings.Count(stderr, w) != 1 {
			t.Errorf("stderr does not say once %q:\n%s", w, stderr)
		}
	}
	// A good target resolves; one that needs a package with an error fails, naming it and the chain.
	if _, stderr, code := runApp(t, "tree", "order", "test/app", "--tree", mixed); code != 0 {
		t.Fatalf("order test/app: exit %d: %s", code, stderr)
	}
	_, stderr, code = runApp(t, "tree", "order", "test/needs-typo", "--tree", mixed)
	if code != 1 || !strings.Contains(stderr, "test/needs-typo@1.0 → test/typo@>=0: invalid spec: test/typo@1.0 cannot be used: "+filepath.Join(mixed, "typo", "build.yaml")+`:2: unknown key "stpes"`) {
		t.Fatalf("order test/needs-typo: exit %d: %s", code, stderr)
	}
	_, stderr, code = runApp(t, "tree", "deps", "test/needs-rpi", "--tree", mixed)
	if code != 1 || !strings.Contains(stderr, `no version of test/rpi satisfies ">=0"; known versions: rpi-6.6.y-1 (cannot be ordered)`) {
		t.Fatalf("deps test/needs-rpi: exit %d: %s", code, stderr)
	}
	// --strict: warnings are errors, and any problem fails.
	out, stderr, code = runApp(t, "tree", "list", "--strict", "--tree", mixed)
	if code != 1 || out != "" || !strings.Contains(stderr, "(an error because loading is strict)") || !strings.Contains(stderr, "--strict") {
		t.Fatalf("list --strict: exit %d, out %q: %s", code, out, stderr)
	}
}
