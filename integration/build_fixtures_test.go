package integration

import (
	"testing"

	"github.com/flavor-dev/flavor/build"
)

// TestBuildChain builds Luet's buildableseed fixture: d requires c requires b (image busybox,
// prelude writing /test and /test2, steps writing /test5, /test6 and running generate.sh). Each
// artifact holds only what its own steps wrote; prelude output is never shipped.
func TestBuildChain(t *testing.T) {
	d := engine(t)
	ensureBusybox(t, d)
	eng := &counting{Engine: d}
	r := runBuild(t, eng, t.TempDir(), build.Request{Trees: []string{luetFixtures("buildableseed")}, Packages: []string{"test/d"}}).must(t)
	want := map[string]map[string]string{
		"test/b@1.0": {"test5": "artifact5\n", "test6": "artifact6\n", "artifact42": "generated\n"},
		"test/c@1.0": {"c": "c\n", "cd": "c\n"},
		"test/d@1.0": {"d": "s\n", "dd": "dd\n"},
	}
	for pkg, files := range want {
		a := r.artifact(t, pkg)
		got := readArtifact(t, a.Path)
		var wantNames []string
		for n, body := range files {
			wantNames = append(wantNames, n)
			if got[n].Body != body {
				t.Errorf("%s: %s = %q, want %q", pkg, n, got[n].Body, body)
			}
		}
		if !sameStrings(fileNames(got), sortedCopy(wantNames)) {
			t.Errorf("%s ships %v, want %v", pkg, fileNames(got), sortedCopy(wantNames))
		}
		if !sameStrings(a.Metadata.Files, sortedCopy(wantNames)) {
			t.Errorf("%s metadata files %v, want %v", pkg, a.Metadata.Files, sortedCopy(wantNames))
		}
	}
	if eng.count() == 0 || r.res.Containers != eng.count() {
		t.Errorf("result says %d containers, the engine saw %d", r.res.Containers, eng.count())
	}
}
