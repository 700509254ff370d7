package packer

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// benchTreeSize is the size of the generated tree BenchmarkPack packs.
const benchTreeSize = 200 << 20

// generateTree fills dir with about total bytes of mixed files, the same every time: log-like
// text (very compressible), source-like text, low-entropy binary, and 10% random bytes that do
// not compress. It returns the number of bytes written.
func generateTree(tb testing.TB, dir string, total int64) int64 {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("the quick brown fox jumps over lazy dog package slot index metadata tar zstd " +
		"func return error context writer reader buffer bytes string map slice int64 uint32 if else for range")
	var written int64
	for i := 0; written < total; i++ {
		size := int64(4<<10) << rng.IntN(11) // 4 KiB .. 4 MiB
		size = min(size+rng.Int64N(size), total-written)
		buf := make([]byte, 0, size)
		kind := i % 10
		switch {
		case kind < 4: // logs
			for int64(len(buf)) < size {
				buf = fmt.Appendf(buf, "2025-01-%02d 12:%02d:%02d INFO request id=%d path=/api/%s took=%dms\n",
					rng.IntN(28)+1, rng.IntN(60), rng.IntN(60), rng.Int64N(1e9), words[rng.IntN(len(words))], rng.IntN(900))
			}
		case kind < 7: // source-like text
			for int64(len(buf)) < size {
				n := rng.IntN(12) + 2
				for j := 0; j < n; j++ {
					buf = append(buf, words[rng.IntN(len(words))]...)
					buf = append(buf, ' ')
				}
				buf = append(buf, '\n')
			}
		case kind < 9: // low-entropy binary (structured records)
			for int64(len(buf)) < size {
				buf = append(buf, byte(rng.IntN(4)), 0, 0, byte(rng.IntN(256)), 0xff, 0xfe, byte(i), 0)
			}
		default: // random
			for int64(len(buf)) < size {
				buf = append(buf, byte(rng.Uint32()))
			}
		}
		buf = buf[:size]
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%23), fmt.Sprintf("s%d", i%7), fmt.Sprintf("f%05d.dat", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			tb.Fatal(err)
		}
		written += size
	}
	return written
}

// BenchmarkPack packs a generated ~200 MB tree with tar+zstd, and in the same run
// `tar -c DIR | zstd -T0` of the same tree (bench/pack.sh prints the ratio). Besides wall time it
// reports CPU seconds per op (ours: this process, including fsync; theirs: sh, tar and zstd),
// which a loaded machine distorts less.
func BenchmarkPack(b *testing.B) {
	ctx := context.Background()
	tree := b.TempDir()
	size := generateTree(b, tree, benchTreeSize)
	out := b.TempDir()
	key := KeyFromSeed("bench")
	b.Run("flavor-tar.zst", func(b *testing.B) {
		b.SetBytes(size)
		var stored int64
		c0 := cpuSeconds()
		for i := 0; i < b.N; i++ {
			res, err := Write(ctx, filepath.Join(out, "bench.psp"), Spec{
				Launcher: testLauncher, Name: "bench", Version: "1", Execution: Execution{Command: "true"},
				Slots: []Slot{{ID: "tree", Path: tree}},
			}, WithSigner(key))
			if err != nil {
				b.Fatal(err)
			}
			stored = int64(res.Descriptors[0].Size)
		}
		b.ReportMetric((cpuSeconds()-c0)/float64(b.N), "cpu-s/op")
		b.ReportMetric(float64(stored)/float64(size), "stored/input")
	})
	b.Run("tar|zstd-T0", func(b *testing.B) {
		if _, err := exec.LookPath("zstd"); err != nil {
			b.Skip("zstd is not installed")
		}
		b.SetBytes(size)
		dst := filepath.Join(out, "bench.tar.zst")
		var stored int64
		c0 := childCPUSeconds()
		for i := 0; i < b.N; i++ {
			cmd := exec.Command("sh", "-c", `tar -C "$1" -cf - . | zstd -T0 -q -f -o "$2"`, "sh", tree, dst)
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, msg)
			}
			st, _ := os.Stat(dst)
			stored = st.Size()
		}
		b.ReportMetric((childCPUSeconds()-c0)/float64(b.N), "cpu-s/op")
		b.ReportMetric(float64(stored)/float64(size), "stored/input")
	})
}

// benchPackage writes a package of the generated tree once for the read benchmarks.
func benchPackage(b *testing.B) (string, int64) {
	b.Helper()
	tree := b.TempDir()
	generateTree(b, tree, benchTreeSize/4)
	path := filepath.Join(b.TempDir(), "read.psp")
	res, err := Write(context.Background(), path, Spec{
		Launcher: bytes.Repeat([]byte{0x7f}, 2<<20), Name: "bench", Version: "1", Execution: Execution{Command: "true"},
		Slots: []Slot{{ID: "tree", Path: tree}},
	}, WithSigner(KeyFromSeed("bench")))
	if err != nil {
		b.Fatal(err)
	}
	return path, res.Size
}

// BenchmarkVerify measures the warm-start check (trailer, index, metadata, signature, slot table:
// no slot bytes) and the full standard verification of a ~50 MB-input package with a 2 MiB
// launcher, beside `sha256sum` of the same file.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	path, size := benchPackage(b)
	b.Run("open-header", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p, err := Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			p.Close()
		}
	})
	b.Run("full", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			if _, err := Verify(ctx, path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sha256sum", func(b *testing.B) {
		if _, err := exec.LookPath("sha256sum"); err != nil {
			b.Skip("sha256sum is not installed")
		}
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			if msg, err := exec.Command("sha256sum", path).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, msg)
			}
		}
	})
}
