//go:build integration

package integration

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/specs"
)

// mixedTree is the tree of issue 15: good packages beside one package of each shape that
// published Luet trees have (see its README.md).
func mixedTree() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "specs", "testdata", "mixed")
}

// TestBuildMixedTree: a package with a problem is that package's problem. Good packages of the
// tree build; a build that needs a bad one fails before any container starts, naming the
// problem and the chain that needs it.
func TestBuildMixedTree(t *testing.T) {
	d := dockerEngine(t)
	ensureBusybox(t, d)
	cache := t.TempDir()
	build := func(req builder.Request) *buildRun {
		req.Trees = []string{mixedTree()}
		return runBuild(t, d, cache, req)
	}

	r := build(builder.Request{Packages: []string{"test/app", "test/environment"}}).must(t)
	wantFiles(t, r, "test/app@1.0", map[string]*string{"app.txt": s("hello app\n")})
	wantFiles(t, r, "test/base@1.0", map[string]*string{"base.txt": s("base\n")})
	// environment: is ignored (with a warning), as luet ignores it: $FOO is empty.
	wantFiles(t, r, "test/environment@1.0", map[string]*string{"env.txt": s("\n")})
	if len(r.res.Warnings) != 1 || !strings.Contains(r.res.Warnings[0].Err.Error(), `environment/build.yaml:2: unknown key "environment" in the file is ignored, as luet ignores it (did you mean "env"?)`) {
		t.Errorf("warnings %v, want the one about environment/build.yaml", r.res.Warnings)
	}

	typo := filepath.Join(mixedTree(), "typo", "build.yaml") + `:2: unknown key "stpes" in the file (did you mean "steps"?)`
	for _, tc := range []struct {
		name string
		req  builder.Request
		want []string
	}{
		{"needs a bad package", builder.Request{Packages: []string{"test/needs-typo"}},
			[]string{"test/needs-typo@1.0 → test/typo@>=0: invalid spec: test/typo@1.0 cannot be used: " + typo}},
		{"a bad package", builder.Request{Packages: []string{"test/typo"}},
			[]string{"looking up test/typo@>=0: invalid spec: test/typo@1.0 cannot be used: " + typo}},
		{"all", builder.Request{All: true},
			[]string{"some packages cannot be used; fix them, or name the packages to build", typo, "unreadable/definition.yaml:3: not valid YAML"}},
		{"strict", builder.Request{Packages: []string{"test/environment"}, Strict: true},
			[]string{`test/environment@1.0 cannot be used: `, `unknown key "environment" in the file is ignored, as luet ignores it (did you mean "env"?) (an error because loading is strict)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := build(tc.req)
			if r.err == nil {
				t.Fatal("the build succeeded")
			}
			if !errors.Is(r.err, specs.ErrInvalidSpec) {
				t.Errorf("error %v does not wrap specs.ErrInvalidSpec", r.err)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.err.Error(), w) {
					t.Errorf("error %q does not say %q", r.err, w)
				}
			}
			if r.res != nil && r.res.Containers != 0 {
				t.Errorf("%d containers started", r.res.Containers)
			}
		})
	}
}
