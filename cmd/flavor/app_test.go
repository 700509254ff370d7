package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
