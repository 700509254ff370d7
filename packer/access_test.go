package packer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// recordingReaderAt remembers every byte range read.
type recordingReaderAt struct {
	r     *bytes.Reader
	mu    sync.Mutex
	reads [][2]int64
}

func (r *recordingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	r.mu.Lock()
	r.reads = append(r.reads, [2]int64{off, off + int64(len(b))})
	r.mu.Unlock()
	return r.r.ReadAt(b, off)
}

func TestOpenReadsNoSlotOrLauncherBytes(t *testing.T) {
	ctx := context.Background()
	path, res := writePackage(t, baseSpec(Slot{ID: "tree", Path: sampleTree(t)},
		Slot{ID: "f", Reader: strings.NewReader(strings.Repeat("x", 5000))}))
	b, _ := os.ReadFile(path)
	for _, lvl := range []Level{LevelStrict, LevelStandard, LevelNone} {
		t.Run(lvl.String(), func(t *testing.T) {
			rec := &recordingReaderAt{r: bytes.NewReader(b)}
			p, err := NewPackage(ctx, rec, int64(len(b)), WithLevel(lvl))
			if err != nil {
				t.Fatal(err)
			}
			if p.Metadata().Package.Name != "demo" {
				t.Fatal("metadata not read")
			}
			for _, rd := range rec.reads {
				if rd[0] < int64(res.Index.LauncherSize) {
					t.Errorf("read %v touches the launcher", rd)
				}
				for i, d := range res.Descriptors {
					if rd[0] < int64(d.Offset+d.Size) && int64(d.Offset) < rd[1] {
						t.Errorf("read %v touches slot %d at [%d,%d)", rd, i, d.Offset, d.Offset+d.Size)
					}
				}
			}
			if len(rec.reads) > 4 {
				t.Errorf("%d reads to open, want at most 4 (trailer, metadata, slot table): %v", len(rec.reads), rec.reads)
			}
		})
	}
}

func TestConcurrentSlotAccess(t *testing.T) {
	ctx := context.Background()
	path, _ := writePackage(t, baseSpec(Slot{ID: "tree", Path: sampleTree(t)},
		Slot{ID: "f", Reader: strings.NewReader(strings.Repeat("y", 5000)), Target: "f"}))
	p, err := Open(ctx, path, WithLevel(LevelRelaxed))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dest := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			i := g % 2
			if err := p.VerifySlot(ctx, i); err != nil {
				errs <- err
			}
			if _, err := p.ReadSlot(ctx, i); err != nil {
				errs <- err
			}
			if _, err := p.ExtractSlot(ctx, i, filepath.Join(dest, fmt.Sprint(g))); err != nil {
				errs <- err
			}
			p.Warnings()
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
