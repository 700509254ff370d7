package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/internal/launcherbuild"
	"github.com/flavor-dev/flavor/internal/testbin"
)

// TestSizeBudget builds the linux/amd64 launcher the way `make launchers` does and fails when it
// is larger than its budget in size-budget.txt.
func TestSizeBudget(t *testing.T) {
	budgets, err := launcherbuild.ReadBudgets("size-budget.txt")
	if err != nil {
		t.Fatal(err)
	}
	budget, ok := budgets["linux/amd64"]
	if !ok {
		t.Fatal("size-budget.txt has no budget for linux/amd64")
	}
	t.Cleanup(testbin.Cleanup)
	path, err := testbin.Launcher("linux", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > budget {
		t.Errorf("the linux/amd64 launcher is %d bytes, %d over its budget of %d (size-budget.txt): "+
			"find what grew with `go build -o l ./launcher/cmd/flavor-launcher && go tool nm -size -sort size l`; "+
			"keep what only extraction or the CLI needs out of package-level initialisers", fi.Size(), fi.Size()-budget, budget)
	}
	t.Logf("linux/amd64 launcher: %d bytes, budget %d", fi.Size(), budget)
}

// warmPathForbidden are packages the launcher must not link: each costs every start of every
// package an initialiser (regexp compiles its patterns, net sets up the poller, templates parse)
// and hundreds of KB, for nothing the launcher needs.
var warmPathForbidden = []string{"regexp", "text/template", "html/template", "net", "net/http", "os/exec", "flag", "log/slog/internal/json",
	// encoders: the launcher only reads (the flavorlauncher tag leaves them out of package ops)
	"github.com/dsnet/compress/bzip2", "github.com/klauspost/compress/gzip", "github.com/klauspost/compress/flate"}

// TestLinkedPackages fails when the launcher's import graph (linux/amd64, with the flavorlauncher
// tag it ships with) reaches a package of warmPathForbidden, and names the package of ours that
// brings it in.
func TestLinkedPackages(t *testing.T) {
	cmd := exec.Command("go", "list", "-tags", launcherbuild.Tag, "-deps", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	importers := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imps, _ := strings.Cut(line, ": ")
		for _, imp := range strings.Fields(imps) {
			importers[imp] = append(importers[imp], pkg)
		}
	}
	if len(importers) < 10 {
		t.Fatalf("go list -deps listed too little:\n%s", out)
	}
	for _, p := range warmPathForbidden {
		if by, ok := importers[p]; ok {
			t.Errorf("the launcher links %s (imported by %s): its initialisation runs at every start; do without it in the packages the launcher imports", p, strings.Join(by, ", "))
		}
	}
}
