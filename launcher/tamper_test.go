package launcher

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/packer"
)

// TestTamperEveryByte flips, one at a time, every byte of a small package's trailer, index,
// metadata, slot table and slot data (everything but the launcher prefix and alignment padding),
// and runs each flipped package: the launcher must refuse every one at the default level, with a
// one-line message and a format/slot/verification exit code, and never run the command (which
// would create a marker file).
func TestTamperEveryByte(t *testing.T) {
	pkg := writePackage(t, packer.Spec{
		Name:      "tamper",
		Execution: packer.Execution{Command: "sh {workenv}/bin/mark"},
		Slots: []packer.Slot{
			treeSlot(t, "app", files{"bin/mark": "#!/bin/sh\n: > \"$MARK\"\n"}),
			{ID: "conf", Path: files{"c.txt": "setting = 1\n"}.write(t, t.TempDir()) + "/c.txt", Target: "conf/c.txt"},
		},
	})
	orig, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := packer.Open(t.Context(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	x := p.Index()
	type span struct{ off, n uint64 }
	spans := []span{
		{x.MetadataOffset, x.MetadataSize},
		{x.SlotTableOffset, x.SlotTableSize},
		{uint64(len(orig) - packer.TrailerSize), packer.TrailerSize},
	}
	for i := 0; i < p.NumSlots(); i++ {
		d := must(p.Descriptor(i))
		spans = append(spans, span{d.Offset, d.Size})
	}
	p.Close()
	var offsets []int
	for _, s := range spans {
		for o := s.off; o < s.off+s.n; o++ {
			offsets = append(offsets, int(o))
		}
	}
	if testing.Short() {
		// Every metadata, table and slot byte, and every 16th trailer byte.
		var short []int
		for _, o := range offsets {
			if o < len(orig)-packer.TrailerSize || o%16 == 0 {
				short = append(short, o)
			}
		}
		offsets = short
	}

	var (
		next    atomic.Int64
		mu      sync.Mutex
		bad     []string
		byCode  = map[int]int{}
		workers = 2 * runtime.GOMAXPROCS(0)
		wg      sync.WaitGroup
	)
	base := t.TempDir()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			dir := filepath.Join(base, fmt.Sprint(w))
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Error(err)
				return
			}
			path := filepath.Join(dir, "tamper.psp")
			if err := os.WriteFile(path, orig, 0o755); err != nil {
				t.Error(err)
				return
			}
			for {
				k := int(next.Add(1)) - 1
				if k >= len(offsets) {
					return
				}
				off := offsets[k]
				code, stderr, marked, err := runFlipped(path, off, orig[off]^0xff, filepath.Join(dir, fmt.Sprint(k)))
				if werr := patchByte(path, off, orig[off]); werr != nil && err == nil {
					err = werr
				}
				mu.Lock()
				byCode[code]++
				if err != nil || marked || code < 102 || code > 104 || !strings.HasPrefix(stderr, "flavor-launcher: ") || strings.Count(stderr, "\n") != 1 {
					bad = append(bad, fmt.Sprintf("byte %d: exit %d, command ran %v, err %v, stderr %q", off, code, marked, err, stderr))
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	t.Logf("flipped %d bytes one at a time; exit codes: %v", len(offsets), byCode)
	if len(bad) > 0 {
		if len(bad) > 20 {
			bad = append(bad[:20], fmt.Sprintf("… and %d more", len(bad)-20))
		}
		t.Fatalf("%d flipped packages were not refused properly:\n%s", len(bad), strings.Join(bad, "\n"))
	}
}

// patchByte overwrites one byte of the file at path (and closes it, so it can be executed).
func patchByte(path string, off int, v byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteAt([]byte{v}, int64(off))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// runFlipped sets byte off of the package to v and runs it with a fresh cache, reporting the exit
// code, stderr and whether the command ran.
func runFlipped(path string, off int, v byte, scratch string) (code int, stderr string, marked bool, err error) {
	if err := patchByte(path, off, v); err != nil {
		return 0, "", false, err
	}
	cache := scratch + ".cache"
	mark := scratch + ".mark"
	defer os.RemoveAll(cache)
	for attempt := 0; ; attempt++ {
		c := exec.Command(path)
		c.Env = []string{"PATH=" + os.Getenv("PATH"), "FLAVOR_CACHE=" + cache, "HOME=" + cache, "MARK=" + mark}
		var eb strings.Builder
		c.Stderr = &eb
		err = c.Run()
		// Another worker's fork may briefly hold our freshly written file open: retry.
		if errors.Is(err, syscall.ETXTBSY) && attempt < 1000 {
			time.Sleep(time.Millisecond)
			continue
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code, err = ee.ExitCode(), nil
		}
		return code, eb.String(), pathExists(mark), err
	}
}
