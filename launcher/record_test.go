package launcher

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/packer"
)

func sampleRecord() *launchRecord {
	p := &plan{name: "hello", version: "1.0", shutdown: 7 * time.Second, byNum: map[int]int{3: 0, 1: 1}}
	p.exec.Command = "sh {workenv}/bin/x 'a b'"
	p.exec.Args = []string{"--x", ""}
	p.exec.Cwd = "{workenv}"
	p.exec.Env = map[string]string{"A": "1", "B": "{workenv}"}
	p.exec.PathPrepend = []string{"/p"}
	p.rules = EnvRules{Pass: []string{"PATH", "LC_*"}, Unset: []string{"*"}, Map: map[string]string{"O": "N"}, Set: map[string]string{"S": "v"}}
	p.slots = []slotPlan{{pos: 0, num: 3, id: "app", target: "{workenv}", class: classOnce, here: true},
		{pos: 1, num: 1, id: "lazy", target: "lazy", class: classLazy}}
	rec := &launchRecord{level: packer.LevelStandard, publicKey: bytes.Repeat([]byte{7}, 32), plan: p}
	rec.digest[0] = 9
	return rec
}

func TestLaunchRecordRoundTrip(t *testing.T) {
	rec := sampleRecord()
	got, err := decodeRecord(rec.encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Fatalf("round trip:\n got %+v\n     %+v\nwant %+v\n     %+v", got, got.plan, rec, rec.plan)
	}
	b := rec.encode()
	// Every truncation and every single-byte change is refused.
	for i := 0; i < len(b); i++ {
		if _, err := decodeRecord(b[:i]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", i)
		}
		c := bytes.Clone(b)
		c[i] ^= 0x5a
		if _, err := decodeRecord(c); err == nil {
			t.Fatalf("byte %d changed: accepted", i)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(sampleRecord().encode())
	f.Add([]byte(recordMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeRecord(b)
		if err != nil {
			return
		}
		// Whatever decodes, encodes back to the same bytes.
		if again := rec.encode(); !bytes.Equal(again, b) {
			t.Fatalf("decoded record re-encodes differently")
		}
	})
}

// TestWarmCacheDoesNotHideTampering: with the workenv and the launch record of the intact
// package in the cache, every changed byte of the index, metadata and slot table (but the slot
// offsets, see below) still makes the launcher refuse (the record is named by those bytes, so it is not found), and an untrusted
// signer is refused even though a record exists.
func TestWarmCacheDoesNotHideTampering(t *testing.T) {
	mark := filepath.Join(t.TempDir(), "ran")
	pkg := writePackage(t, packer.Spec{
		Name:      "warmtamper",
		Execution: packer.Execution{Command: "sh -c ': > \"$MARK\"'"},
		Slots:     []packer.Slot{treeSlot(t, "app", files{"bin/x": "#!/bin/sh\n"})},
	})
	r := newRunner(t, "MARK="+mark)
	r.mustRun(pkg, "", nil)
	r.mustRun(pkg, "", []string{"FLAVOR_LAUNCHER_LOG_LEVEL=debug"})
	if err := os.Remove(mark); err != nil {
		t.Fatal(err)
	}
	p, err := packer.Open(t.Context(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	x := p.Index()
	p.Close()
	size := int(x.PackageSize)
	var offsets []int
	for o := int(x.MetadataOffset); o < int(x.MetadataOffset+x.MetadataSize); o++ {
		offsets = append(offsets, o)
	}
	for o := int(x.SlotTableOffset); o < int(x.SlotTableOffset+x.SlotTableSize); o++ {
		// A descriptor's offset field is the one table field the signed metadata cannot pin (it
		// depends on the metadata's own length); it matters only when slot bytes are read, and a
		// warm start reads none: the tree verified earlier is used, nothing of the changed file.
		if f := (o - int(x.SlotTableOffset)) % 64; f >= 16 && f < 24 {
			continue
		}
		offsets = append(offsets, o)
	}
	for o := size - packer.TrailerSize; o < size; o += 61 { // a sample of the trailer
		offsets = append(offsets, o)
	}
	orig, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	// Workers share the warm cache (concurrent runs are the launcher's business); each patches
	// its own copy of the package one byte at a time.
	var (
		wg   sync.WaitGroup
		next atomic.Int64
		mu   sync.Mutex
		bad  []string
	)
	for w := 0; w < 2*runtime.GOMAXPROCS(0); w++ {
		copyPath := filepath.Join(t.TempDir(), "warmtamper.psp")
		if err := os.WriteFile(copyPath, orig, 0o755); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int(next.Add(1)) - 1; k < len(offsets); k = int(next.Add(1)) - 1 {
				o := offsets[k]
				if err := patchByte(copyPath, o, orig[o]^0xff); err != nil {
					t.Error(err)
					return
				}
				var res result
				for attempt := 0; attempt < 1000; attempt++ {
					c := r.cmd(copyPath, nil)
					var eb, ob strings.Builder
					c.Stdout, c.Stderr = &ob, &eb
					err := c.Run()
					if errors.Is(err, syscall.ETXTBSY) {
						time.Sleep(time.Millisecond)
						continue
					}
					res = result{stdout: ob.String(), stderr: eb.String()}
					var ee *exec.ExitError
					if errors.As(err, &ee) {
						res.code = ee.ExitCode()
					}
					break
				}
				if res.code < 102 || res.code > 104 || pathExists(mark) {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("byte %d: %s", o, res))
					mu.Unlock()
				}
				if err := patchByte(copyPath, o, orig[o]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d flipped packages ran with a warm cache:\n%s", len(bad), strings.Join(bad[:min(len(bad), 10)], "\n"))
	}
	t.Logf("flipped %d header bytes with a warm cache", len(offsets))
	other := "3cf9469205ba8dfccfd606c3eef6550016852c61d1e3594e2058433e841c98c9"
	if res := r.run(pkg, []string{"FLAVOR_TRUSTED_KEYS=" + other}); res.code != 104 || !strings.Contains(res.stderr, "untrusted") || pathExists(mark) {
		t.Fatalf("untrusted signer with a warm cache: %s", res)
	}
	if res := r.run(pkg, []string{"FLAVOR_VALIDATION=strict", "FLAVOR_LAUNCHER_LOG_LEVEL=debug"}); res.code != 0 || !strings.Contains(res.stderr, " miss\n") {
		t.Fatalf("a standard-level record served a strict run: %s", res)
	}
}
