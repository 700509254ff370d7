package bundle

import (
	"os"
	"strings"
	"testing"
)

// The README says to commit flavor.lock: the example must not ignore it (issue 11).
func TestExampleKeepsLockInGit(t *testing.T) {
	b, err := os.ReadFile("../examples/hello/.gitignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if l := strings.TrimSpace(line); l == "flavor.lock" || l == "*.lock" || l == "/flavor.lock" {
			t.Errorf("examples/hello/.gitignore ignores flavor.lock (%q), which the README says to commit", l)
		}
	}
}
