package specs

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/platform"
)

// Issue 15: published Luet trees load whole. The reproducers of each shape, and what a problem
// in one package does to the others.

func refStrings(rs []Ref) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

// problemsOf returns the tree's problems as "warning|error file:line msg" lines, with root
// trimmed from the file names.
func problemsOf(tr *Tree, root string) []string {
	var out []string
	for _, p := range tr.Problems() {
		kind := "error"
		if p.Warning {
			kind = "warning"
		}
		rel, _ := filepath.Rel(root, p.Err.File)
		out = append(out, kind+" "+strings.TrimPrefix(strings.Replace(p.Err.Error(), p.Err.File, rel, 1), root+"/"))
	}
	return out
}

func TestMergeKeys(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a/definition.yaml": defA,
		// shape 1, as the issue gives it: a merge key in a reference of definition.yaml
		"b/definition.yaml": `name: b
category: test
version: "1.0"
labels: &labels
  origin: test
requires:
- &dep
  category: test
  name: a
  version: ">=0"
- <<: *dep
  name: a
`,
		// in build.yaml, rendered: references, copy entries, and a list of merged mappings
		"b/build.yaml": `image: busybox
requires:
- &dep
  category: test
  name: a
  version: ">=0"
- <<: *dep
  version: "1.0"
copy:
- &c
  image: busybox
  source: /bin/sh
  destination: /a
- <<: [{destination: /b}, *c]
steps:
- echo {{ .Values.name }}
`,
		"b/finalize.yaml": "install: &cmds\n- echo installed\nuninstall: *cmds\n",
		// in a collection: a whole package merged into the next entries
		"c/collection.yaml": `packages:
- &base
  name: c1
  category: test
  version: "1.0"
  requires:
  - {category: test, name: a, version: ">=0"}
- <<: *base
  name: c2
- <<: *base
  name: c3
  version: "2.0"
`,
	})
	tr := loadTree(t, root)
	if ps := problemsOf(tr, root); len(ps) != 0 {
		t.Fatalf("problems: %q", ps)
	}
	b := mustLookup(t, tr, "test/b")
	if got, want := refStrings(b.Requires), []string{"test/a@>=0", "test/a@>=0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("runtime requires %v, want %v", got, want)
	}
	if got, want := refStrings(b.Spec.Requires), []string{"test/a@>=0", "test/a@1.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("build requires %v, want %v", got, want)
	}
	if got := b.Spec.Copy; len(got) != 2 || got[1].Destination != "/b" || got[1].Image != "busybox" || got[1].Source != "/bin/sh" {
		t.Errorf("copy %+v: the first mapping of a merged list must win", got)
	}
	if !reflect.DeepEqual(b.Finalizer.Uninstall, []string{"echo installed"}) {
		t.Errorf("finalizer %+v", b.Finalizer)
	}
	if b.Labels["origin"] != "test" {
		t.Errorf("labels %v", b.Labels)
	}
	for _, id := range []string{"test/c1@1.0", "test/c2@1.0", "test/c3@2.0"} {
		p := mustLookup(t, tr, id)
		if got := refStrings(p.Requires); !reflect.DeepEqual(got, []string{"test/a@>=0"}) {
			t.Errorf("%s requires %v", id, got)
		}
	}
	if _, err := tr.Resolve(context.Background(), mustRef(t, "test/b")); err != nil {
		t.Fatal(err)
	}
}

// TestLuetIgnores: what luet ignores silently is a warning naming the file and line (the
// package loads), and an error with WithStrict (the package is left out).
func TestLuetIgnores(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // the one problem, without the severity
		check func(t *testing.T, tr *Tree)
	}{
		{
			name:  "2: extra keys in a reference",
			files: map[string]string{"b/definition.yaml": "name: b\ncategory: test\nversion: \"1\"\nrequires:\n- name: a\n  category: test\n  branch: main\n  upx: true\n"},
			want:  `b/definition.yaml:7: unknown keys "branch", "upx" in "requires[0]" are ignored, as luet ignores them (known: category, name, version)`,
			check: func(t *testing.T, tr *Tree) {
				if got := refStrings(mustLookup(t, tr, "test/b").Requires); !reflect.DeepEqual(got, []string{"test/a"}) {
					t.Errorf("requires %v", got)
				}
			},
		},
		{
			name:  "2: a whole package merged into a reference",
			files: map[string]string{"c/collection.yaml": "packages:\n- &a\n  name: a\n  category: test\n  version: \"1\"\n  branch: main\n- name: b\n  category: test\n  version: \"1\"\n  requires:\n  - <<: *a\n"},
			want:  `c/collection.yaml:11: unknown key "branch" in "requires[0]" is ignored, as luet ignores it (known: category, name, version)`,
		},
		{
			name:  "3: a key twice in one collection entry",
			files: map[string]string{"c/collection.yaml": "packages:\n- name: b\n  category: test\n  version: \"1\"\n  requires: []\n  requires:\n  - {name: a, category: test}\n"},
			want:  `c/collection.yaml:6: key "requires" appears twice in the collection entry (first on line 5); the last one is used, as luet does`,
			check: func(t *testing.T, tr *Tree) {
				if got := refStrings(mustLookup(t, tr, "test/b").Requires); !reflect.DeepEqual(got, []string{"test/a"}) {
					t.Errorf("requires %v: the last key must win", got)
				}
			},
		},
		{
			name:  "3: a key twice in build.yaml",
			files: map[string]string{"b/definition.yaml": "name: b\ncategory: test\nversion: \"1\"\n", "b/build.yaml": "image: alpine\nsteps: [a]\nimage: busybox\n"},
			want:  `b/build.yaml:3: key "image" appears twice in the file (first on line 1); the last one is used, as luet does`,
			check: func(t *testing.T, tr *Tree) {
				if got := mustLookup(t, tr, "test/b").Spec.Image; got != "busybox" {
					t.Errorf("image %q: the last key must win", got)
				}
			},
		},
		{
			name:  "4: '/' in the category of a provides entry",
			files: map[string]string{"b/definition.yaml": "name: b\ncategory: test\nversion: \"1\"\nprovides:\n- category: other/dd\n  name: dd\n"},
			want:  `b/definition.yaml:5: reference other/dd/dd: category "other/dd": use letters, digits and . _ + - (not first), no '/', '@' or space; luet accepts it, but no package matches it`,
		},
		{
			name:  "5: an unknown build.yaml key that is not a typo",
			files: map[string]string{"b/definition.yaml": "name: b\ncategory: test\nversion: \"1\"\n", "b/build.yaml": "image: busybox\nenvironment:\n- A=1\n"},
			want:  `b/build.yaml:2: unknown key "environment" in the file is ignored, as luet ignores it (did you mean "env"?)`,
		},
		{
			name:  "6: a version that does not start with a digit",
			files: map[string]string{"b/definition.yaml": "name: b\ncategory: test\nversion: \"rpi-6.6.y-1\"\n"},
			want:  `b/definition.yaml:1: version "rpi-6.6.y-1" cannot be ordered (must start with a digit): no selector such as ">=0" selects it, only the exact test/b@rpi-6.6.y-1 does; make it a version that starts with a digit`,
			check: func(t *testing.T, tr *Tree) {
				mustLookup(t, tr, "test/b@rpi-6.6.y-1")
				_, err := tr.Lookup(mustRef(t, "test/b"))
				if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "rpi-6.6.y-1 (cannot be ordered)") {
					t.Errorf("looking up test/b@>=0: %v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.files)
			tr := loadTree(t, root)
			if got := problemsOf(tr, root); !reflect.DeepEqual(got, []string{"warning " + tt.want}) {
				t.Fatalf("problems:\n%q\nwant\n%q", got, "warning "+tt.want)
			}
			if tt.check != nil {
				tt.check(t, tr)
			}
			strict := loadTree(t, root, WithStrict(true))
			if got := problemsOf(strict, root); !reflect.DeepEqual(got, []string{"error " + tt.want + " (an error because loading is strict)"}) {
				t.Fatalf("strict problems:\n%q\nwant\n%q", got, "error "+tt.want+" (an error because loading is strict)")
			}
			_, err := strict.Lookup(Ref{Category: "test", Name: "b"})
			if !errors.Is(err, ErrInvalidSpec) && !strings.Contains(tt.name, "whole package") {
				t.Fatalf("strict lookup of test/b: %v; want it left out", err)
			}
		})
	}
}

// TestOneBadPackage: a problem is the problem of its package. The others load; what needs it
// fails naming the problem and the chain; each problem is reported once.
func TestOneBadPackage(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a/definition.yaml":   defA,
		"a/build.yaml":        "image: busybox\nsteps: [a]\n",
		"a2/definition.yaml":  "name: a\ncategory: test\nversion: \"2.0\"\n",
		"a2/build.yaml":       "image: busybox\nstpes: [a]\n",
		"b/definition.yaml":   "name: b\ncategory: test\nversion: \"1\"\n",
		"b/build.yaml":        "requires:\n- {category: test, name: a, version: \">=0\"}\nsteps: [b]\n",
		"old/definition.yaml": "name: old\ncategory: test\nversion: \"1\"\n",
		"old/build.yaml":      "requires:\n- {category: test, name: a, version: \"<2\"}\nsteps: [old]\n",
		// one build.yaml typo shared by three collection entries is one problem
		"c/collection.yaml":     "packages:\n- {name: c1, category: test, version: \"1\"}\n- {name: c2, category: test, version: \"1\"}\n- {name: c3, category: test, version: \"1\"}\n",
		"c/build.yaml":          "image: busybox\nimag: x\n",
		"bad/definition.yaml":   "name: [\n",
		"needs/definition.yaml": "name: needs\ncategory: test\nversion: \"1\"\nrequires:\n- {category: test, name: gone}\n",
		"dup/definition.yaml":   "name: old\ncategory: test\nversion: \"1\"\n",
		"self/definition.yaml":  "name: self\ncategory: test\nversion: \"1\"\nrequires: &r\n- {name: x, requires: *r}\n",
		"templates/bad.yaml":    "{{ define \"broken\" }}{{ end\n",
		"uses/definition.yaml":  "name: uses\ncategory: test\nversion: \"1\"\n",
		"uses/build.yaml":       "image: busybox\nsteps: [{{ template \"broken\" }}]\n",
	})
	tr := loadTree(t, root)
	if got, want := ids(tr.Packages()), []string{"test/a@1.0", "test/b@1", "test/needs@1", "test/old@1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("packages %v, want %v", got, want)
	}
	want := []string{
		`error a2/build.yaml:2: unknown key "stpes" in the file (did you mean "steps"?)`,
		`error bad/definition.yaml:1: not valid YAML: did not find expected node content`,
		`error c/build.yaml:2: unknown key "imag" in the file (did you mean "image"?)`,
		`error old/definition.yaml:1: test/old@1 is defined twice in tree ` + root + ` (first in ` + filepath.Join(root, "dup", "definition.yaml") + `:1); rename or remove one`,
		`error self/definition.yaml:4: anchor "r" contains itself`,
		`error templates/bad.yaml:1: template: unclosed action started at ` + filepath.Join(root, "templates", "bad.yaml") + `:1 (this shared template is left out)`,
		`error uses/build.yaml:2: template: executing "` + filepath.Join(root, "uses", "build.yaml") + `" at <{{template "broken"}}>: template "broken" not defined`,
	}
	got := problemsOf(tr, root)
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d:\n%s\nwant\n%s", i, got[i], want[i])
		}
	}
	if ps := tr.Problems(); !reflect.DeepEqual(ps[2].Packages, []string{"test/c1@1", "test/c2@1", "test/c3@1"}) {
		t.Errorf("the shared build.yaml problem names %v", ps[2].Packages)
	}
	if ps := tr.Problems(); !reflect.DeepEqual(ps[5].Packages, []string(nil)) || !reflect.DeepEqual(ps[6].Packages, []string{"test/uses@1"}) {
		t.Errorf("the shared template problems name %v and %v", ps[5].Packages, ps[6].Packages)
	}
	ctx := context.Background()
	// test/a@2.0 would be chosen for >=0: resolving b fails naming it and the chain.
	_, err := tr.Resolve(ctx, mustRef(t, "test/b"))
	if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "test/b@1 → test/a@>=0: invalid spec: test/a@2.0 cannot be used: "+filepath.Join(root, "a2", "build.yaml")+`:2: unknown key "stpes"`) {
		t.Fatalf("resolving test/b: %v", err)
	}
	// An older broken version does not matter to a requirement it does not meet.
	if _, err := tr.Resolve(ctx, mustRef(t, "test/old")); err == nil {
		t.Fatal("test/old is defined twice: resolving it must fail")
	} else if !strings.Contains(err.Error(), "defined twice") {
		t.Fatalf("resolving test/old: %v", err)
	}
	if _, err := tr.Resolve(ctx, mustRef(t, "test/a@1.0")); err != nil {
		t.Fatalf("test/a@1.0 is good: %v", err)
	}
	// A package that is nowhere: the files that did not load are pointed at.
	_, err = tr.ResolveRuntime(ctx, mustRef(t, "test/needs"))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "did not load") {
		t.Fatalf("resolving test/needs: %v", err)
	}
	if err := tr.Err(); err == nil || strings.Count(err.Error(), "\n") != len(want)-1 {
		t.Fatalf("Err: %v", err)
	}
}

// TestTemplateRootIsAMap: luet executes templates on a map, and published shared templates
// index it (`index . "atoms"`); a missing key is nothing, not an error.
func TestTemplateRootIsAMap(t *testing.T) {
	root := writeTree(t, map[string]string{
		"templates/f.yaml":  "{{ define \"atoms\" }}{{ if not (index . \"atoms\") }}none{{ end }}{{ end }}\n",
		"a/definition.yaml": defA,
		"a/build.yaml":      "image: busybox\nsteps:\n- echo {{ template \"atoms\" . }} {{ .Platform.String }} {{ .Package.Name }}\n",
	})
	tr := loadTree(t, root, WithPlatform(platform.Platform{OS: "linux", Arch: "amd64"}))
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	if got := mustLookup(t, tr, "test/a").Spec.Steps; !reflect.DeepEqual(got, []string{"echo none linux/amd64 a"}) {
		t.Fatalf("steps %q", got)
	}
}
