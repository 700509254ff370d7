// Command launchpack writes the packages and content bench/launcher.sh measures: a .psp of a
// directory with a given launcher in front, signed with a fixed test key, and a generated tree of
// mixed files; and it times commands in turns (see timing).
//
//	go run ./bench/launchpack pack -launcher L -dir D -command CMD -out X.psp [-ops tar.zst]
//	go run ./bench/launchpack tree -dir D -mb 64
//	go run ./bench/launchpack time [-n 100] [-prepare NAME=SHELL] NAME=COMMAND...
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/packer"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: launchpack pack|tree|time [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "pack":
		err = pack(os.Args[2:])
	case "tree":
		err = tree(os.Args[2:])
	case "time":
		err = timing(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "launchpack:", err)
		os.Exit(1)
	}
}

func pack(args []string) error {
	fs := flag.NewFlagSet("pack", flag.ExitOnError)
	launcher := fs.String("launcher", "", "launcher executable")
	dir := fs.String("dir", "", "directory to pack as one tar slot")
	command := fs.String("command", "", "execution command")
	out := fs.String("out", "", "output .psp")
	opsFlag := fs.String("ops", "tar.zst", "operations")
	fs.Parse(args)
	l, err := os.ReadFile(*launcher)
	if err != nil {
		return err
	}
	chain, err := ops.ParseChain(*opsFlag)
	if err != nil {
		return err
	}
	_, err = packer.Write(context.Background(), *out, packer.Spec{
		Launcher: l, Name: strings.TrimSuffix(filepath.Base(*out), ".psp"), Version: "1.0.0",
		Execution: packer.Execution{Command: *command},
		Slots:     []packer.Slot{{ID: "content", Path: *dir, Source: "content/", Operations: chain}},
	}, packer.WithSigner(packer.KeyFromSeed("bench")))
	if err != nil {
		return err
	}
	return os.Chmod(*out, 0o755)
}

// tree writes about mb MiB of files: many small text files, some medium, a few large, a quarter
// of the bytes random (incompressible), the rest repetitive text.
func tree(args []string) error {
	fs := flag.NewFlagSet("tree", flag.ExitOnError)
	dir := fs.String("dir", "", "directory to create")
	mb := fs.Int("mb", 64, "approximate size in MiB")
	fs.Parse(args)
	total := int64(*mb) << 20
	text := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog 0123456789\n", 4096))
	var written int64
	for i := 0; written < total; i++ {
		size := int64(2 << 10) // small
		switch {
		case i%50 == 0:
			size = 4 << 20 // large
		case i%10 == 0:
			size = 256 << 10 // medium
		}
		p := filepath.Join(*dir, fmt.Sprintf("d%02d", i%37), fmt.Sprintf("f%05d.dat", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		b := make([]byte, size)
		if i%4 == 0 {
			rand.Read(b)
		} else {
			for o := 0; o < len(b); o += copy(b[o:], text) {
			}
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		written += size
	}
	return nil
}
