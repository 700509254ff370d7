//go:build unix

package bundle

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/flavor-dev/flavor/lock"
	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/sbom"
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

// BenchmarkMergeGroup merges one artifact shaped like Python's standard library (1,200 files of
// 2–40 KiB, about 25 MB) into a group's tar, against the obvious alternative: decompressing the
// artifact to a file (`zstd -dc`), which any merge has to do. Run with -benchmem: the merge copies
// every file through one buffer. "temp tar, read" and "stream, read" are what the packer waits
// for before and while it encodes an [install] slot of one package: the merged temporary tar
// written and then read, against the merge streamed (what InstallSource does for a group of one
// package); bench/pack.sh prints their ratio.
func BenchmarkMergeGroup(b *testing.B) {
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	var entries []tarEntry
	for i := 0; i < 1200; i++ {
		body := make([]byte, 2<<10+rng.IntN(38<<10))
		for j := range body {
			body[j] = "def f(x):\n    return x + 1\n"[rng.IntN(27)]
		}
		entries = append(entries, tarEntry{name: fmt.Sprintf("usr/lib/python3.11/m%d/f%04d.py", i%40, i), body: string(body)})
	}
	g := lock.Group{Name: "main", Packages: []lock.Installed{writeArtifact(b, dir, "bench/pystdlib@1", entries, nil)}}
	out := filepath.Join(dir, "merged.tar")
	b.Run("mergeGroup", func(b *testing.B) {
		b.ReportAllocs()
		reportCPU(b, func() {
			if err := mergeGroup(context.Background(), out, g); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("temp tar, read", func(b *testing.B) {
		reportCPU(b, func() {
			if err := mergeGroup(context.Background(), out, g); err != nil {
				b.Fatal(err)
			}
			f, err := os.Open(out)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if _, err := io.Copy(io.Discard, f); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("stream, read", func(b *testing.B) {
		reportCPU(b, func() {
			s := streamGroup(context.Background(), g, "linux/amd64", b.TempDir())
			defer s.Close()
			if _, err := io.Copy(io.Discard, s); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("zstd-dc", func(b *testing.B) {
		b.ReportAllocs()
		reportCPU(b, func() {
			in, err := os.Open(g.Packages[0].Artifact.Path)
			if err != nil {
				b.Fatal(err)
			}
			defer in.Close()
			zr, err := zstd.NewReader(in, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
			if err != nil {
				b.Fatal(err)
			}
			defer zr.Close()
			f, err := os.Create(out)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if _, err := io.Copy(f, zr); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkSBOMDocuments renders the documents of a slot of 1,232 files (the Debian bench's
// Python standard library), all at once as Pack does (renderDocuments), against the obvious
// alternative, one after another. bench/pack.sh prints the ratio.
func BenchmarkSBOMDocuments(b *testing.B) {
	spec := sbom.Component{Ref: "spec:bench/pystdlib@1", Kind: sbom.KindSpec, Name: "pystdlib", Category: "bench", Version: "1", Slot: "toplevel"}
	d := &sbom.Description{Name: "pystdlib", Version: "1", Platform: "linux/amd64", Components: []sbom.Component{spec}}
	slot := sbom.Slot{ID: "toplevel", Target: "{workenv}", Content: strings.Repeat("c0", 32)}
	for i := range 1232 {
		sum256, sum1 := sha256.Sum256([]byte{byte(i), byte(i >> 8)}), sha1.Sum([]byte{byte(i), byte(i >> 8)})
		slot.Files = append(slot.Files, sbom.File{Path: fmt.Sprintf("usr/lib/python3.11/m%d/f%04d.py", i%40, i),
			SHA256: hex.EncodeToString(sum256[:]), SHA1: hex.EncodeToString(sum1[:]), Size: int64(2048 + i), Mode: 0o644, Owner: spec.Ref})
	}
	d.Slots = []sbom.Slot{slot}
	b.Run("at once", func(b *testing.B) {
		reportCPU(b, func() {
			if _, err := renderDocuments(d); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("one after another", func(b *testing.B) {
		reportCPU(b, func() {
			for _, f := range sbom.Formats {
				if _, err := d.Document(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
