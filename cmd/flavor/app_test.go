package main

import (
	"bytes"
	"context"
	"strings"
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
