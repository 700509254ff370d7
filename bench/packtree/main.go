// Command packtree writes the generated tree bench/pack.sh packs: about SIZE MiB of mixed files,
// the same every time (log-like and source-like text, low-entropy binary records, 10% random
// bytes), in the proportions of packer's BenchmarkPack.
//
//	go run ./bench/packtree DIR [SIZE_MIB]
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: packtree DIR [SIZE_MIB]")
		os.Exit(2)
	}
	mib := int64(200)
	if len(os.Args) > 2 {
		n, err := strconv.ParseInt(os.Args[2], 10, 64)
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "packtree: size %q: want a positive number of MiB\n", os.Args[2])
			os.Exit(2)
		}
		mib = n
	}
	n, err := generate(os.Args[1], mib<<20)
	if err != nil {
		fmt.Fprintln(os.Stderr, "packtree:", err)
		os.Exit(1)
	}
	fmt.Printf("%d bytes in %s\n", n, os.Args[1])
}

func generate(dir string, total int64) (int64, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("the quick brown fox jumps over lazy dog package slot index metadata tar zstd " +
		"func return error context writer reader buffer bytes string map slice int64 uint32 if else for range")
	var written int64
	for i := 0; written < total; i++ {
		size := int64(4<<10) << rng.IntN(11) // 4 KiB .. 4 MiB
		size = min(size+rng.Int64N(size), total-written)
		buf := make([]byte, 0, size)
		switch kind := i % 10; {
		case kind < 4: // logs
			for int64(len(buf)) < size {
				buf = fmt.Appendf(buf, "2025-01-%02d 12:%02d:%02d INFO request id=%d path=/api/%s took=%dms\n",
					rng.IntN(28)+1, rng.IntN(60), rng.IntN(60), rng.Int64N(1e9), words[rng.IntN(len(words))], rng.IntN(900))
			}
		case kind < 7: // source-like text
			for int64(len(buf)) < size {
				for j, n := 0, rng.IntN(12)+2; j < n; j++ {
					buf = append(append(buf, words[rng.IntN(len(words))]...), ' ')
				}
				buf = append(buf, '\n')
			}
		case kind < 9: // low-entropy binary records
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
			return written, err
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			return written, err
		}
		written += size
	}
	return written, nil
}
