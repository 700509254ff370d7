//go:build unix

package packer

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/flavor-dev/flavor/ops"
)

// cpuSeconds is the CPU time (user+system) this process has used.
func cpuSeconds() float64 { return rusageSeconds(syscall.RUSAGE_SELF) }

// childCPUSeconds is the CPU time used by waited-for child processes.
func childCPUSeconds() float64 { return rusageSeconds(syscall.RUSAGE_CHILDREN) }

func rusageSeconds(who int) float64 {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkZstdEncoder compares our frame-parallel zstd writer with klauspost's stream encoder
// (concurrency GOMAXPROCS) and its job-parallel stream mode (WithConcurrentBlocks) on 64 MB of
// the generated mix. Besides wall time it reports CPU seconds per op, which stays meaningful on
// a loaded machine, and the compression ratio.
func BenchmarkZstdEncoder(b *testing.B) {
	dir := b.TempDir()
	generateTree(b, dir, 64<<20)
	var all bytes.Buffer
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			x, _ := os.ReadFile(p)
			all.Write(x)
		}
		return nil
	})
	data := all.Bytes()
	for _, m := range []struct {
		name string
		new  func(w io.Writer) (io.WriteCloser, error)
	}{
		{"frames", func(w io.Writer) (io.WriteCloser, error) { return ops.NewWriter(ops.Zstd, w, runtime.GOMAXPROCS(0)) }},
		{"klauspost-stream", func(w io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(w) }},
		{"klauspost-concurrent-blocks", func(w io.Writer) (io.WriteCloser, error) {
			return zstd.NewWriter(w, zstd.WithConcurrentBlocks(true))
		}},
	} {
		b.Run(m.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			c0 := cpuSeconds()
			var n int64
			for i := 0; i < b.N; i++ {
				cw := &countWriter{w: io.Discard}
				w, err := m.new(cw)
				if err != nil {
					b.Fatal(err)
				}
				for off := 0; off < len(data); off += 1 << 20 {
					w.Write(data[off:min(len(data), off+1<<20)])
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				n = cw.n
			}
			b.ReportMetric((cpuSeconds()-c0)/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(n)/float64(len(data)), "stored/input")
		})
	}
}
