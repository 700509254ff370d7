// Command flavor-launcher is the executable at the front of every .psp package: it verifies the
// package it is part of, extracts it once into a content-keyed cache, and runs its command (see
// package launcher). It prints only failures, warnings and, with FLAVOR_LAUNCHER_LOG_LEVEL=debug,
// the time each phase took, all on stderr as lines starting with "flavor-launcher:".
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/flavor-dev/flavor/launcher"
)

func main() {
	start := time.Now()
	level := strings.ToLower(os.Getenv(launcher.EnvLogLevel))
	debug := level == "debug" || level == "trace"
	events := func(e launcher.Event) {
		switch {
		case e.Kind == launcher.EventWarning:
			fmt.Fprintf(os.Stderr, "flavor-launcher: warning: %s\n", e.Message)
		case debug && e.Phase == "exec" || debug && e.Phase == "spawn":
			fmt.Fprintf(os.Stderr, "flavor-launcher: debug: %-8s total %s before %s %s\n", e.Phase, ms(time.Since(start)), e.Phase, e.Message)
		case debug:
			fmt.Fprintf(os.Stderr, "flavor-launcher: debug: %-8s %s %s\n", e.Phase, ms(e.Took), e.Message)
		}
	}
	// No signal.NotifyContext here: until the command starts, the default action of SIGINT/SIGTERM
	// (exit) is right, because an interrupted extraction leaves nothing a later run trusts; in
	// spawn mode the launcher catches and forwards them itself, and an exec'd command gets the
	// default dispositions back.
	opts := []launcher.Option{launcher.WithEvents(events)}
	var code int
	var err error
	if cliMode() {
		code, err = runCLI(context.Background(), os.Stdout, os.Args, opts)
	} else {
		code, err = launcher.Run(context.Background(), opts...)
	}
	if err != nil {
		msg := "flavor-launcher: " + oneLine(err.Error())
		if fix := launcher.Fix(err); fix != "" {
			msg += "; " + fix
		}
		if launcher.ExitCode(err) == launcher.CategoryUsage.ExitCode() && !cliMode() {
			// Every argument goes to the package's program, --help included: say where the
			// launcher's own help is.
			msg += " (the launcher's own help: " + launcher.EnvCLI + "=1 " + os.Args[0] + " help)"
		}
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(launcher.ExitCode(err))
	}
	os.Exit(code)
}

func ms(d time.Duration) string { return fmt.Sprintf("%7.3fms", float64(d.Microseconds())/1000) }

// oneLine keeps the message on one line, whatever the wrapped errors hold.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
