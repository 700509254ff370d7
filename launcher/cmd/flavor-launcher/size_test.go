package main

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/internal/testbin"
)

// readBudgets reads size-budget.txt: "os/arch bytes" lines, # comments.
func readBudgets(t *testing.T) map[string]int64 {
	t.Helper()
	f, err := os.Open("size-budget.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	budgets := map[string]int64{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		n, err := strconv.ParseInt(fields[len(fields)-1], 10, 64)
		if len(fields) != 2 || err != nil || n <= 0 {
			t.Fatalf("size-budget.txt:%d: want \"os/arch bytes\", got %q", line, sc.Text())
		}
		budgets[fields[0]] = n
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return budgets
}

// TestSizeBudget builds the linux/amd64 launcher the way `make launchers` does and fails when it
// is larger than its budget in size-budget.txt.
func TestSizeBudget(t *testing.T) {
	budget, ok := readBudgets(t)["linux/amd64"]
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
var warmPathForbidden = []string{"regexp", "text/template", "html/template", "net", "net/http", "os/exec", "flag", "log/slog/internal/json"}

// TestLinkedPackages fails when the launcher's import graph (linux/amd64) reaches a package of
// warmPathForbidden, and names the package of ours that brings it in.
func TestLinkedPackages(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}", ".")
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
