package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/urfave/cli/v2"
)

// runApp runs the CLI in-process and returns stdout, stderr and the exit code.
func runApp(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	app := New()
	var out, errb bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errb
	code := run(context.Background(), app, append([]string{"flavor"}, args...))
	return out.String(), errb.String(), code
}

func TestUnknownCommandFails(t *testing.T) {
	_, stderr, code := runApp(t, "no-such-command")
	if code == 0 {
		t.Fatalf("unknown command exited 0")
	}
	if !strings.Contains(stderr, "no-such-command") {
		t.Fatalf("error does not name the command: %q", stderr)
	}
}

func TestInterspersedFlags(t *testing.T) {
	app := New()
	app.Commands = append(app.Commands, &cli.Command{
		Name: "probe",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "deep"},
			&cli.StringFlag{Name: "out"},
			&cli.StringSliceFlag{Name: "platform"},
		},
	})
	tests := []struct {
		in, want string
	}{
		{"flavor probe a.psp --deep", "flavor probe --deep a.psp"},
		{"flavor probe a.psp --out dir b", "flavor probe --out dir a.psp b"},
		{"flavor --quiet probe x --platform p1 --platform=p2", "flavor --quiet probe --platform p1 --platform=p2 x"},
		{"flavor --output-format json probe x", "flavor --output-format json probe x"},
		{"flavor probe x -- --deep", "flavor probe x -- --deep"},
		{"flavor image import ROOT --platform linux/arm64 --tag t", "flavor image import --platform linux/arm64 --tag t ROOT"},
		{"flavor unknown --x y", "flavor unknown --x y"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := strings.Join(interspersed(app, strings.Fields(tt.in)), " ")
			if got != tt.want {
				t.Fatalf("interspersed(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestInterruptedCode: a run stopped by a signal exits 128 + its number even when a library
// wrapped context.Cause instead of context.Canceled; a plain cancellation is 130.
func TestInterruptedCode(t *testing.T) {
	for _, tc := range []struct {
		cause error
		want  int
	}{
		{signalReceived{syscall.SIGTERM}, 143},
		{signalReceived{syscall.SIGINT}, 130},
		{nil, 130},
	} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(tc.cause)
		app := New()
		app.ErrWriter = io.Discard
		app.Commands = append(app.Commands, &cli.Command{Name: "stopped", Action: func(c *cli.Context) error {
			return fmt.Errorf("step 1 of 1 stopped: %w", context.Cause(c.Context))
		}})
		if got := run(ctx, app, []string{"flavor", "stopped"}); got != tc.want {
			t.Errorf("cause %v: exit %d, want %d", tc.cause, got, tc.want)
		}
	}
}

// TestFlagPlaceholders: every flag that takes a value names it in its help (`--manifest FILE`),
// never urfave/cli's default `value`.
func TestFlagPlaceholders(t *testing.T) {
	var check func(where string, flags []cli.Flag, cmds []*cli.Command)
	check = func(where string, flags []cli.Flag, cmds []*cli.Command) {
		for _, f := range flags {
			if _, isBool := f.(*cli.BoolFlag); isBool {
				continue
			}
			if u, ok := f.(cli.DocGenerationFlag); ok {
				if strings.Count(u.GetUsage(), "`") < 2 {
					t.Errorf("%s --%s: its usage %q names no `PLACEHOLDER`", where, f.Names()[0], u.GetUsage())
				}
			}
		}
		for _, c := range cmds {
			check(where+" "+c.Name, c.Flags, c.Subcommands)
		}
	}
	app := New()
	check("flavor", app.Flags, app.Commands)
	stdout, _, _ := runApp(t, "pack", "--help")
	if strings.Contains(stdout, " value") || !strings.Contains(stdout, "--manifest FILE") {
		t.Errorf("pack --help:\n%s", stdout)
	}
}
