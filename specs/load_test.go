package specs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
)

// writeTree creates files (path → content) under a new temporary directory and returns it.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const defA = "name: a\ncategory: test\nversion: \"1.0\"\n"

// loadErr loads root and returns the errors among its problems (nil when there are none).
func loadErr(t testing.TB, root string, opts ...Option) error {
	t.Helper()
	tr, err := Load(context.Background(), []string{root}, opts...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return tr.Err()
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		file   string // the file the error must name
		line   int
		msg    []string
		strict bool
	}{
		{
			name:  "unknown key with hint",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\nstep:\n- echo hi\n"},
			file:  "a/build.yaml", line: 2, msg: []string{`unknown key "step"`, `did you mean "steps"?`},
		},
		{
			name:  "join rejected with a pointer to requires_final_images",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\njoin:\n- name: b\n  category: test\n  version: \"1.0\"\n"},
			file:  "a/build.yaml", line: 2, msg: []string{`"join" is not supported`, "requires_final_images: true"},
		},
		{
			name:  "nested unknown key",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "requires:\n- name: b\n  categroy: test\n"},
			file:  "a/build.yaml", line: 3, msg: []string{`unknown key "categroy"`, `did you mean "category"?`},
		},
		{
			name:  "invalid include regexp",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\nincludes:\n- /ok\n- /bad[\n"},
			file:  "a/build.yaml", line: 4, msg: []string{`invalid regular expression "/bad["`},
		},
		{
			name:  "invalid subpackage exclude",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\nsubpackages:\n- name: s\n  excludes:\n  - (unclosed\n"},
			file:  "a/build.yaml", line: 5, msg: []string{`invalid regular expression "(unclosed"`},
		},
		{
			name:  "unquoted numeric version",
			files: map[string]string{"a/definition.yaml": "name: a\ncategory: test\nversion: 1.10\n"},
			file:  "a/definition.yaml", line: 3, msg: []string{"YAML number", `version: "1.10"`},
		},
		{
			name:  "unquoted numeric version in requires",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "requires:\n- name: b\n  version: 2\n"},
			file:  "a/build.yaml", line: 3, msg: []string{"YAML number", `version: "2"`},
		},
		{
			name:  "wrong kind",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\nsteps: echo hi\n"},
			file:  "a/build.yaml", line: 2, msg: []string{`"steps" must be a list`},
		},
		{
			name:  "bool expected",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\nunpack: yes please\n"},
			file:  "a/build.yaml", line: 2, msg: []string{`"unpack" must be true or false`},
		},
		{
			name:  "yaml syntax",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\nsteps:\n  - a\n - b\n"},
			file:  "a/build.yaml", msg: []string{"not valid YAML"},
		},
		{
			name:  "tab starting a line",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\nsteps:\n\t- echo hi\n"},
			file:  "a/build.yaml", line: 3, msg: []string{"a tab (column 1) indents line 3", "replace the tab with spaces"},
		},
		{
			name:  "tab after a list marker",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\nsteps:\n-\techo hi\n"},
			file:  "a/build.yaml", line: 3, msg: []string{"a tab (column 2) indents line 3"},
		},
		{
			name:  "tab indenting a key (yaml.v3 names the line before)",
			files: map[string]string{"a/definition.yaml": "name: a\ncategory: t\n\tversion: \"1.0\"\n", "a/build.yaml": "image: busybox\n"},
			file:  "a/definition.yaml", line: 3, msg: []string{"a tab (column 1) indents line 3"},
		},
		{
			name:  "template parse error",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\nsteps:\n- {{ .Values.name \n"},
			file:  "a/build.yaml", line: 3, msg: []string{"template:"},
		},
		{
			name:  "template exec error",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\n\nsteps:\n- {{ .Values.missing.deeper }}\n"},
			file:  "a/build.yaml", line: 4, msg: []string{"template:", "nil"},
		},
		{
			name:  "unknown function",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: {{ nosuch 1 }}\n"},
			file:  "a/build.yaml", line: 1, msg: []string{`function "nosuch" not defined`},
		},
		{
			name:  "missing name",
			files: map[string]string{"a/definition.yaml": "category: test\nversion: \"1\"\n"},
			file:  "a/definition.yaml", line: 1, msg: []string{"needs a name"},
		},
		{
			name:  "collection typo",
			files: map[string]string{"a/collection.yaml": "package:\n- name: x\n"},
			file:  "a/collection.yaml", line: 1, msg: []string{`unknown key "package"`, `did you mean "packages"?`},
		},
		{
			name:  "bad copy",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\ncopy:\n- source: /a\n  destination: /b\n"},
			file:  "a/build.yaml", line: 3, msg: []string{`exactly one of "package" or "image"`},
		},
		{
			name:  "bad platform",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\nplatforms:\n- amd64\n"},
			file:  "a/build.yaml", line: 3, msg: []string{"want os/arch"},
		},
		{
			name:  "bad delta",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\ndelta: new\n"},
			file:  "a/build.yaml", line: 2, msg: []string{`delta must be "added"`},
		},
		{
			name:  "bad flag",
			files: map[string]string{"a/definition.yaml": defA + "flags:\n  \"no good\": true\n"},
			file:  "a/definition.yaml", line: 5, msg: []string{`flag "no good"`},
		},
		{
			name:  "flag default not a bool",
			files: map[string]string{"a/definition.yaml": defA + "flags:\n  ssl: maybe\n"},
			file:  "a/definition.yaml", line: 5, msg: []string{`"flags.ssl" must be true or false`},
		},
		{
			name:  "bad finalizer key",
			files: map[string]string{"a/definition.yaml": defA, "a/finalize.yaml": "instal:\n- echo\n"},
			file:  "a/finalize.yaml", line: 1, msg: []string{`unknown key "instal"`, `did you mean "install"?`},
		},
		{
			name:  "duplicate key, strict",
			files: map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: a\nimage: b\n"},
			file:  "a/build.yaml", line: 2, msg: []string{`key "image" appears twice`, "strict"}, strict: true,
		},
		{
			name:  "defined twice in one tree",
			files: map[string]string{"a/definition.yaml": defA, "b/definition.yaml": defA},
			file:  "b/definition.yaml", line: 1, msg: []string{"test/a@1.0 is defined twice", "a/definition.yaml:1"},
		},
		{
			name:  "collection entry named in the message",
			files: map[string]string{"c/collection.yaml": "packages:\n- name: x\n  category: t\n  version: \"1\"\n- name: y\n  category: t\n  version: \"1\"\n  bad: true\n", "c/build.yaml": "image: busybox\n{{ if .Values.bad }}stepz: []{{ end }}\n"},
			file:  "c/build.yaml", line: 2, msg: []string{`unknown key "stepz"`, "rendered"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.files)
			err := loadErr(t, root, WithStrict(tt.strict))
			if err == nil {
				t.Fatal("Load found no error")
			}
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("error %v does not wrap ErrInvalidSpec", err)
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SpecError", err)
			}
			if want := filepath.Join(root, tt.file); se.File != want {
				t.Fatalf("error names %s, want %s (%v)", se.File, want, err)
			}
			if tt.line != 0 && se.Line != tt.line {
				t.Fatalf("error at line %d, want %d (%v)", se.Line, tt.line, err)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Fatalf("error %q does not say %q", err, m)
				}
			}
		})
	}
}

func TestLoadReportsSeveralErrors(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a/definition.yaml": defA, "a/build.yaml": "step: []\n",
		"b/definition.yaml": "name: b\nversion: \"1\"\n", "b/build.yaml": "imag: x\n",
	})
	err := loadErr(t, root)
	if err == nil || !strings.Contains(err.Error(), `"step"`) || !strings.Contains(err.Error(), `"imag"`) {
		t.Fatalf("want both mistakes reported, got %v", err)
	}
}

func TestLoadTemplateData(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a/definition.yaml": defA + "flags: {ssl: true, debug: false}\nextra: {list: [1, 2]}\n",
		"a/build.yaml": `image: busybox
env:
- OS={{ .Platform.OS }}
- ARCH={{ .Platform.Arch }}
- VARIANT={{ .Platform.Variant }}
- PLATFORM={{ .Platform.String }}
- PKG={{ .Package.Category }}/{{ .Package.Name }}@{{ .Package.Version }}
- SSL={{ .Flavor.ssl }}
- DEBUG={{ .Flavor.debug }}
- UNDECLARED={{ .Flavor.nope }}
- UPPER={{ .Values.name | upper }}
- 'YAML={{ .Values.extra | toYaml | replace "\n" " " }}'
- 'JSON={{ .Values.extra | toJson }}'
- FROMJSON={{ (fromJson "{\"k\": \"v\"}").k }}
- FROMYAMLARRAY={{ index (fromYamlArray "[x, y]") 1 }}
- FROMJSONARRAY={{ index (fromJsonArray "[3, 4]") 0 }}
- FROMYAML={{ (fromYaml "k: w").k }}
- 'TOML={{ dict "k" "t" | toToml | trim }}'
- INCLUDE={{ include "inner" . | trim }}
- MISSING={{ .Values.nothere }}
{{ define "inner" }}{{ .Package.Name }}-inner{{ end }}
`,
	})
	tr, err := Load(context.Background(), []string{root}, WithPlatform(platform.Platform{OS: "linux", Arch: "arm", Variant: "v7"}), WithFlavor("!ssl,~debug,other"))
	if err != nil {
		t.Fatal(err)
	}
	p := mustLookup(t, tr, "test/a")
	want := []string{
		"OS=linux", "ARCH=arm", "VARIANT=v7", "PLATFORM=linux/arm/v7", "PKG=test/a@1.0",
		"SSL=false", "DEBUG=true", "UNDECLARED=false", "UPPER=A", "YAML=list: - 1 - 2", `JSON={"list":[1,2]}`,
		"FROMJSON=v", "FROMYAMLARRAY=y", "FROMJSONARRAY=3", "FROMYAML=w", `TOML=k = "t"`, "INCLUDE=a-inner", "MISSING=<no value>",
	}
	if !reflect.DeepEqual(p.Spec.Env, want) {
		t.Fatalf("env =\n%q\nwant\n%q", p.Spec.Env, want)
	}
	if p.FlavorString() != "debug,~!ssl is: arm" || !reflect.DeepEqual(p.Flags, map[string]bool{"ssl": true, "debug": false}) {
		t.Fatalf("flavor %q flags %v", p.FlavorString(), p.Flags)
	}
	if tr.Platform().String() != "linux/arm/v7" || tr.Flavor() != "!ssl,~debug,other" {
		t.Fatalf("tree platform %s flavor %s", tr.Platform(), tr.Flavor())
	}
}

func TestIncludeRecursionLimit(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a/definition.yaml": defA,
		"a/build.yaml":      "{{ define \"loop\" }}{{ include \"loop\" . }}{{ end }}image: {{ include \"loop\" . }}\n",
	})
	err := loadErr(t, root)
	if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "more than 1000 nested includes") {
		t.Fatalf("want the include limit, got %v", err)
	}
}

func TestSharedTemplateText(t *testing.T) {
	// Text outside define blocks in templates/ lands at the top of every spec, as in Luet; line
	// numbers in errors still point into build.yaml.
	root := writeTree(t, map[string]string{
		"templates/head.yaml": "# shared header\nimage: busybox\n{{ define \"x\" }}X{{ end }}\n",
		"a/definition.yaml":   defA,
		"a/build.yaml":        "steps:\n- echo {{ template \"x\" }}\n",
		"b/definition.yaml":   "name: b\ncategory: test\nversion: \"1.0\"\n",
		"b/build.yaml":        "steps:\n- ok\nsteppes: []\n",
	})
	err := loadErr(t, root)
	var se *SpecError
	if !errors.As(err, &se) || se.Line != 3 || !strings.HasSuffix(se.File, filepath.Join("b", "build.yaml")) {
		t.Fatalf("want b/build.yaml:3, got %v", err)
	}
	_ = os.Remove(filepath.Join(root, "b", "build.yaml"))
	tr, err := Load(context.Background(), []string{root})
	if err != nil {
		t.Fatal(err)
	}
	a := mustLookup(t, tr, "test/a")
	if a.Spec.Image != "busybox" || !reflect.DeepEqual(a.Spec.Steps, []string{"echo X"}) {
		t.Fatalf("a = %+v", a.Spec)
	}
}

func TestLoadSeveralTrees(t *testing.T) {
	first := writeTree(t, map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: first\n"})
	second := writeTree(t, map[string]string{
		"a/definition.yaml": defA, "a/build.yaml": "image: second\n",
		"b/definition.yaml": "name: b\ncategory: test\nversion: \"1.0\"\n", "b/build.yaml": "requires:\n- name: a\n  category: test\n",
	})
	tr, err := Load(context.Background(), []string{first, second})
	if err != nil {
		t.Fatal(err)
	}
	// the first tree wins a duplicate, as Luet HEAD does
	if a := mustLookup(t, tr, "test/a"); a.Spec.Image != "first" || a.Tree != first {
		t.Fatalf("a comes from %s with image %s", a.Tree, a.Spec.Image)
	}
	// and packages of one tree may require packages of another
	wantIDs(t, "order", buildOrder(t, tr, "test/b").Order(), "test/a@1.0", "test/b@1.0")
	if !reflect.DeepEqual(tr.Roots(), []string{first, second}) {
		t.Fatalf("roots = %v", tr.Roots())
	}
}

func TestLoadSkipsGitAndIgnoresOrphanBuild(t *testing.T) {
	root := writeTree(t, map[string]string{
		".git/x/definition.yaml":         "not: [valid",
		"orphan/build.yaml":              "image: busybox\n",
		"a/definition.yaml":              defA,
		"a/nested/templates/t/deep.yaml": "{{ define \"deep\" }}deep{{ end }}",
		"a/build.yaml":                   "image: {{ template \"deep\" }}\n",
	})
	tr, err := Load(context.Background(), []string{root})
	if err != nil {
		t.Fatal(err)
	}
	if ps := tr.Packages(); len(ps) != 1 || ps[0].Spec.Image != "deep" {
		t.Fatalf("packages = %v", ids(ps))
	}
}

func TestPlatformsAndDelta(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a/definition.yaml": defA, "a/build.yaml": "image: busybox\ndelta: added\nplatforms:\n- linux/amd64\n- linux/arm/v7\n",
		"b/definition.yaml": "name: b\ncategory: test\nversion: \"1.0\"\n", "b/build.yaml": "image: busybox\nsteps: [x]\nrequires:\n- {name: a, category: test}\n",
	})
	for _, tt := range []struct {
		platform string
		ok       bool
	}{{"linux/amd64", true}, {"linux/arm/v7", true}, {"linux/arm/v6", false}, {"linux/arm64", false}} {
		t.Run(tt.platform, func(t *testing.T) {
			pl, err := platform.Parse(tt.platform)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := Load(context.Background(), []string{root}, WithPlatform(pl))
			if err != nil {
				t.Fatal(err)
			}
			a := mustLookup(t, tr, "test/a")
			if a.Spec.Delta != DeltaAdded || a.Spec.Supports(pl) != tt.ok {
				t.Fatalf("delta %q supports=%v", a.Spec.Delta, a.Spec.Supports(pl))
			}
			_, err = tr.Resolve(context.Background(), mustRef(t, "test/b"))
			if tt.ok && err != nil {
				t.Fatal(err)
			}
			if !tt.ok && (!errors.Is(err, ErrUnsatisfiable) || !strings.Contains(err.Error(), "does not support "+pl.String())) {
				t.Fatalf("want an unsupported platform error, got %v", err)
			}
		})
	}
	if b := mustLookup(t, loadTree(t, root), "test/b"); b.Spec.Delta != DeltaChanged {
		t.Fatalf("default delta = %q", b.Spec.Delta)
	}
}

func loadTree(t *testing.T, root string, opts ...Option) *Tree {
	t.Helper()
	tr, err := Load(context.Background(), []string{root}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestLoadOptionsErrors(t *testing.T) {
	root := writeTree(t, map[string]string{"a/definition.yaml": defA})
	for name, opt := range map[string]Option{
		"bad flavor":  WithFlavor("ssl,,x y"),
		"no platform": WithPlatform(platform.Platform{}),
		"nil logger":  WithLogger(nil),
		"values file": WithValuesFiles(filepath.Join(root, "missing.yaml")),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(context.Background(), []string{root}, opt); err == nil {
				t.Fatal("Load succeeded")
			}
		})
	}
	if _, err := Load(context.Background(), []string{filepath.Join(root, "nope")}); err == nil || !strings.Contains(err.Error(), "reading spec tree") {
		t.Fatalf("missing tree: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, []string{root}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled load: %v", err)
	}
}

func TestLoadProgress(t *testing.T) {
	root := writeTree(t, map[string]string{"a/definition.yaml": defA, "b/definition.yaml": "name: b\n", "c/collection.yaml": "packages:\n- name: c\n- name: d\n"})
	var got []progress.Event
	if _, err := Load(context.Background(), []string{root}, WithProgress(func(u progress.Event) { got = append(got, u) })); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2].Done != 3 || got[2].Total != 3 || got[0].Stage != StageLoad {
		t.Fatalf("progress = %+v", got)
	}
}
