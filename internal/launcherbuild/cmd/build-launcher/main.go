// Command build-launcher builds the launcher for one or more platforms the way flavor ships it
// (internal/launcherbuild) and checks each against its size budget. `make launchers` and the
// benchmarks run it.
//
//	go run ./internal/launcherbuild/cmd/build-launcher -o FILE [-budget FILE] os/arch
//	go run ./internal/launcherbuild/cmd/build-launcher -dir DIR [-budget FILE] os/arch...
//
// With -dir each launcher is DIR/flavor-launcher-OS-ARCH (.exe on Windows). It exits 1 when a
// launcher is larger than its budget.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/flavor-dev/flavor/internal/launcherbuild"
)

func main() {
	out := flag.String("o", "", "output file (one platform)")
	dir := flag.String("dir", "", "output directory (any number of platforms)")
	budgetFile := flag.String("budget", "", "size budget file; fail when a launcher is larger than its budget")
	flag.Parse()
	if err := run(*out, *dir, *budgetFile, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "build-launcher:", err)
		os.Exit(1)
	}
}

func run(out, dir, budgetFile string, platforms []string) error {
	if (out == "") == (dir == "") || len(platforms) == 0 || (out != "" && len(platforms) != 1) {
		return fmt.Errorf("usage: build-launcher -o FILE os/arch | -dir DIR os/arch...")
	}
	var budgets map[string]int64
	if budgetFile != "" {
		var err error
		if budgets, err = launcherbuild.ReadBudgets(budgetFile); err != nil {
			return err
		}
	}
	root, err := launcherbuild.ModuleRoot()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	modfile, err := launcherbuild.Prepare(ctx, root)
	if err != nil {
		return err
	}
	for _, p := range platforms {
		goos, goarch, ok := strings.Cut(p, "/")
		if !ok {
			return fmt.Errorf("platform %q: want os/arch, such as linux/amd64", p)
		}
		path := out
		if dir != "" {
			name := "flavor-launcher-" + goos + "-" + goarch
			if goos == "windows" {
				name += ".exe"
			}
			path = filepath.Join(dir, name)
		}
		if err := launcherbuild.Compile(ctx, root, modfile, goos, goarch, path); err != nil {
			return err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		budget, has := budgets[p]
		shown := "none"
		if has {
			shown = fmt.Sprint(budget)
		}
		fmt.Printf("%-14s %8d bytes (budget %s)  %s\n", p, fi.Size(), shown, path)
		if has && fi.Size() > budget {
			return fmt.Errorf("the %s launcher is %d bytes, over its budget of %d in %s", p, fi.Size(), budget, budgetFile)
		}
	}
	return nil
}
