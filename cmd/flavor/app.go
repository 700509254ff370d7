package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/urfave/cli/v2"
)

// version is set at link time by the Makefile (-X main.version=…).
var version = "dev"

// New builds the flavor CLI application. It holds no global state, so tests run it in-process.
func New() *cli.App {
	return &cli.App{
		Name:                 "flavor",
		Usage:                "build spec trees in containers and pack them into signed .psp executables",
		Version:              version,
		EnableBashCompletion: true,
		Suggest:              true,
		Flags:                globalFlags(),
		Commands:             commands(),
		ExitErrHandler:       func(*cli.Context, error) {}, // run() reports errors and picks the exit code
	}
}

// commands lists every subcommand; each lives in its own file.
func commands() []*cli.Command {
	return []*cli.Command{
		treeCommand(),
		flavorsCommand(),
		imageCommand(),
		buildCommand(),
		lockCommand(),
		packCommand(),
		verifyCommand(),
		inspectCommand(),
		sbomCommand(),
		extractCommand(),
		keygenCommand(),
		cleanCommand(),
	}
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "output-format", Value: "text", EnvVars: []string{"FLAVOR_OUTPUT_FORMAT"}, Usage: "output `FORMAT`: text for people, json for CI"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only errors and the final result"},
		&cli.BoolFlag{Name: "verbose", Usage: "print debug logs"},
		&cli.StringFlag{Name: "progress", Value: "auto", EnvVars: []string{"FLAVOR_PROGRESS"}, Usage: "`MODE` of showing progress: auto, plain, tty, json or none"},
		engineFlag(),
	}
}

// exitCoder lets an error choose the process exit code (for example a verification failure).
type exitCoder interface{ ExitCode() int }

// run executes app with args and returns the process exit code, printing the error, if any, to
// the app's error writer.
func run(ctx context.Context, app *cli.App, args []string) int {
	err := app.RunContext(ctx, interspersed(app, args))
	if err == nil {
		return 0
	}
	w := app.ErrWriter
	if w == nil {
		w = os.Stderr
	}
	reportError(w, err)
	var ec exitCoder
	if errors.As(err, &ec) && ec.ExitCode() != 0 {
		return ec.ExitCode()
	}
	if errors.Is(err, context.Canceled) {
		return interruptedCode(ctx)
	}
	return 1
}

// interruptedCode is the exit code of a run its context cancelled: 128 + the number of the signal
// that did it (130 for SIGINT, 143 for SIGTERM), 130 when no signal is known.
func interruptedCode(ctx context.Context) int {
	var s signalReceived
	if errors.As(context.Cause(ctx), &s) {
		if n, ok := s.sig.(syscall.Signal); ok {
			return 128 + int(n)
		}
	}
	return 130
}

func reportError(w io.Writer, err error) {
	fmt.Fprintf(w, "flavor: error: %v\n", err)
}
