package launcher

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/internal/launcherbuild"
	"github.com/flavor-dev/flavor/packer"
)

// initLine is one line of GODEBUG=inittrace=1: a package's initialisation, its heap bytes and
// allocations.
var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, [0-9.]+ ms clock, (\d+) bytes, (\d+) allocs$`)

// Limits on what package initialisation may allocate in the launcher, at every start of every
// package (issue 14). The checksum and Huffman tables that decoders used to build there were 9 to
// 33 KB each; what is left is the standard library's small tables.
const (
	maxInitBytesPerPackage = 8 << 10
	maxInitBytesTotal      = 16 << 10
)

// TestWarmStartInitialisers runs a package warm (already extracted) with GODEBUG=inittrace=1 and
// checks what the launcher's package initialisers allocate: bytes and allocations are exact, not
// timings, so this fails the day a dependency starts building a table at start-up again.
func TestWarmStartInitialisers(t *testing.T) {
	pkg := writePackage(t, packer.Spec{
		Slots:     []packer.Slot{treeSlot(t, "app", files{"bin/hello": "#!/bin/sh\necho hello\n"})},
		Execution: packer.Execution{Command: "{workenv}/bin/hello"},
	})
	r := newRunner(t)
	if res := r.run(pkg, nil); res.code != 0 || res.stdout != "hello\n" {
		t.Fatalf("first run: %s", res)
	}
	res := r.run(pkg, []string{"GODEBUG=inittrace=1"})
	if res.code != 0 || res.stdout != "hello\n" {
		t.Fatalf("warm run: %s", res)
	}
	var total int64
	var lines int
	var report strings.Builder
	for _, line := range strings.Split(res.stderr, "\n") {
		m := initLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		lines++
		n, _ := strconv.ParseInt(m[2], 10, 64)
		total += n
		fmt.Fprintf(&report, "  %s: %d bytes, %s allocs\n", m[1], n, m[3])
		if n > maxInitBytesPerPackage {
			t.Errorf("initialising %s allocates %d bytes at every start (limit %d): make the table lazy, or keep the package out of the launcher (see internal/launcherbuild)", m[1], n, maxInitBytesPerPackage)
		}
		for _, p := range warmForbiddenInits {
			if m[1] == p || strings.HasPrefix(m[1], p+"/") {
				t.Errorf("the launcher initialises %s, an encoder's package: build it as internal/launcherbuild does (tag %s)", m[1], launcherbuild.Tag)
			}
		}
	}
	if lines < 10 {
		t.Fatalf("GODEBUG=inittrace=1 printed %d init lines; stderr:\n%s", lines, res.stderr)
	}
	if total > maxInitBytesTotal {
		t.Errorf("package initialisation allocates %d bytes in all at every start (limit %d):\n%s", total, maxInitBytesTotal, report.String())
	}
	t.Logf("package initialisation: %d packages, %d bytes\n%s", lines, total, report.String())
}

// warmForbiddenInits are packages only writing needs.
var warmForbiddenInits = []string{"github.com/dsnet/compress", "github.com/klauspost/compress/flate", "github.com/klauspost/compress/gzip"}
