package launcher

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

// TestConcurrentFirstRuns starts 16 first runs of one package at once: exactly one extracts (the
// setup command, which runs once per extraction, appends one line to a counter file) and all 16
// print the right output.
func TestConcurrentFirstRuns(t *testing.T) {
	counter := filepath.Join(t.TempDir(), "extractions")
	pkg := writePackage(t, packer.Spec{
		Name:          "crowd",
		Execution:     packer.Execution{Command: "sh {workenv}/bin/hi"},
		SetupCommands: []packer.SetupCommand{{Command: "sh -c 'echo x >> " + counter + "'"}},
		Slots: []packer.Slot{treeSlot(t, "app", files{
			"bin/hi": "#!/bin/sh\ncat \"$FLAVOR_WORKENV/share/data.txt\"\n",
			// Enough content that the extraction takes a while.
			"share/data.txt": "the right output\n",
			"share/pad.bin":  strings.Repeat("0123456789abcdef", 1<<16),
		})},
	})
	r := newRunner(t)
	const n = 16
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := r.cmd(pkg, nil)
			<-start
			results[i] = runCmd(t, c)
		}(i)
	}
	close(start)
	wg.Wait()
	for i, res := range results {
		if res.code != 0 || res.stdout != "the right output\n" || res.stderr != "" {
			t.Errorf("run %d: %s", i, res)
		}
	}
	b, err := os.ReadFile(counter)
	if err != nil || string(b) != "x\n" {
		t.Fatalf("extractions: %q (%v), want exactly one", b, err)
	}
}
