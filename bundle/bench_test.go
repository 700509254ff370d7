//go:build unix

package bundle

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/packer"
)

// benchTree writes about mib MiB of files, the same every time: three quarters text of varying
// compressibility, one quarter random bytes, in 256 KiB files over a few directories.
func benchTree(b *testing.B, mib int) string {
	b.Helper()
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < mib*4; i++ {
		buf := make([]byte, 256<<10)
		if i%4 == 3 {
			for j := range buf {
				buf[j] = byte(rng.Uint32())
			}
		} else {
			for j := range buf {
				buf[j] = "abcdefghij klmnop\n"[rng.IntN(18-(i%4)*4)]
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("d%d", i%7), fmt.Sprintf("f%04d", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// cpuTime is the user+system CPU time this process has used so far. The benchmarks report it per
// operation besides wall time, because on a shared machine wall time mostly measures the others.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU runs the loop of b and reports its CPU time per operation as "cpu-ns/op".
func reportCPU(b *testing.B, op func()) {
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		op()
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkPack compares bundle.Pack of a manifest with one directory slot against packer.Write of
// the same slot (the obvious alternative: what Pack adds is the manifest mapping, the launcher
// lookup, the SBOM (every file hashed as the slot is encoded), the check of the written file and
// its SHA-256), and against itself without the SBOM.
func BenchmarkPack(b *testing.B) {
	const mib = 64
	root := b.TempDir()
	tree := benchTree(b, mib)
	if err := os.Rename(tree, filepath.Join(root, "tree")); err != nil {
		b.Fatal(err)
	}
	m := loadManifest(b, root, minimalManifest+"[[slots]]\nid = \"tree\"\nsource = \"tree/\"\n")
	out := b.TempDir()
	launcher, _ := fakeLauncher{}.Launcher(context.Background(), "linux/amd64")
	b.Run("bundle.Pack", func(b *testing.B) {
		b.SetBytes(mib << 20)
		reportCPU(b, func() {
			if _, err := Pack(context.Background(), m, WithLauncher(fakeLauncher{}), WithSigner(testKey), WithOutputDir(out), WithPlatforms("linux/amd64")); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("bundle.Pack without SBOM", func(b *testing.B) {
		b.SetBytes(mib << 20)
		reportCPU(b, func() {
			if _, err := Pack(context.Background(), m, WithLauncher(fakeLauncher{}), WithSigner(testKey), WithOutputDir(out), WithPlatforms("linux/amd64"), WithoutSBOM()); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("packer.Write", func(b *testing.B) {
		b.SetBytes(mib << 20)
		reportCPU(b, func() {
			_, err := packer.Write(context.Background(), filepath.Join(out, "direct.psp"), packer.Spec{
				Launcher: launcher, Name: "mini", Version: "0.1.0", Execution: packer.Execution{Command: "sh {workenv}/run.sh"},
				Slots: []packer.Slot{{ID: "tree", Path: filepath.Join(root, "tree")}},
			}, packer.WithSigner(testKey))
			if err != nil {
				b.Fatal(err)
			}
		})
	})
}
