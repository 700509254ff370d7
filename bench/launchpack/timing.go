//go:build unix

package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// timing runs commands in turns, one run of each per round, so that load drifting on a shared
// machine falls on all of them alike, and prints for each the median wall time, the median CPU
// time (user+system of the process and its children, from wait4) and the median number of minor
// page faults, one line per command:
//
//	NAME wall_ms cpu_ms faults
//
// Each argument is NAME=COMMAND; COMMAND is split on spaces and run directly (no shell, so none
// of a shell's start-up is measured), with stdout discarded. -prepare NAME=SHELL runs SHELL with
// sh before every run of NAME, untimed.
func timing(args []string) error {
	fs := flag.NewFlagSet("time", flag.ExitOnError)
	runs := fs.Int("n", 100, "rounds")
	warmup := fs.Int("warmup", 3, "untimed rounds first")
	var prepares multiFlag
	fs.Var(&prepares, "prepare", "NAME=SHELL run before each run of NAME (repeatable)")
	fs.Parse(args)
	type cmd struct {
		name    string
		env     []string // leading VAR=value words of the command
		argv    []string
		prepare string
		wall    []float64
		cpu     []float64
		faults  []float64
	}
	var cmds []*cmd
	for _, a := range fs.Args() {
		name, c, ok := strings.Cut(a, "=")
		if !ok || strings.TrimSpace(c) == "" {
			return fmt.Errorf("argument %q is not NAME=COMMAND", a)
		}
		argv := strings.Fields(c)
		var env []string
		for len(argv) > 1 && isAssignment(argv[0]) {
			env, argv = append(env, argv[0]), argv[1:]
		}
		cmds = append(cmds, &cmd{name: name, env: env, argv: argv})
	}
	for _, p := range prepares {
		name, sh, _ := strings.Cut(p, "=")
		i := slices.IndexFunc(cmds, func(c *cmd) bool { return c.name == name })
		if i < 0 {
			return fmt.Errorf("-prepare names %q, which is not a command", name)
		}
		cmds[i].prepare = sh
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	for round := 0; round < *warmup+*runs; round++ {
		for _, c := range cmds {
			if c.prepare != "" {
				if out, err := exec.Command("sh", "-c", c.prepare).CombinedOutput(); err != nil {
					return fmt.Errorf("preparing %s: %v: %s", c.name, err, out)
				}
			}
			x := exec.Command(c.argv[0], c.argv[1:]...)
			if c.env != nil {
				x.Env = append(os.Environ(), c.env...)
			}
			x.Stdout = devnull
			x.Stderr = os.Stderr
			start := time.Now()
			err := x.Run()
			wall := time.Since(start)
			if err != nil {
				return fmt.Errorf("running %s: %w", c.name, err)
			}
			if round < *warmup {
				continue
			}
			ru, ok := x.ProcessState.SysUsage().(*syscall.Rusage)
			if !ok {
				return errors.New("no resource usage on this system")
			}
			cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			c.wall = append(c.wall, ms(wall))
			c.cpu = append(c.cpu, ms(cpu))
			c.faults = append(c.faults, float64(ru.Minflt))
		}
	}
	for _, c := range cmds {
		fmt.Printf("%s %.3f %.3f %.0f\n", c.name, median(c.wall), median(c.cpu), median(c.faults))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// isAssignment reports whether word is NAME=value with a shell variable name (the value may hold
// paths; a command path never looks like this).
func isAssignment(word string) bool {
	name, _, ok := strings.Cut(word, "=")
	if !ok || name == "" {
		return false
	}
	for i, r := range name {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
