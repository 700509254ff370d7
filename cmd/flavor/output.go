package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// output is how a command reports, from the global flags: its result on the app's Writer as text
// for people or JSON for CI (--output-format, FLAVOR_OUTPUT_FORMAT), and notes, warnings, progress
// and debug logs on the ErrWriter. Stdout carries only the result, so `--output-format json`
// output always parses. --quiet drops notes and progress (warnings and errors stay); --verbose
// adds debug logs.
type output struct {
	out, err io.Writer
	json     bool
	quiet    bool
	verbose  bool
	progress string // none, plain, tty or json
}

func newOutput(c *cli.Context) (*output, error) {
	o := &output{out: c.App.Writer, err: c.App.ErrWriter, quiet: c.Bool("quiet"), verbose: c.Bool("verbose")}
	if o.out == nil {
		o.out = os.Stdout
	}
	if o.err == nil {
		o.err = os.Stderr
	}
	switch f := strings.ToLower(c.String("output-format")); f {
	case "", "text":
	case "json":
		o.json = true
	default:
		return nil, fmt.Errorf("--output-format %q: want text or json", c.String("output-format"))
	}
	switch p := strings.ToLower(c.String("progress")); p {
	case "", "auto":
		o.progress = "plain"
		if f, ok := o.err.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			o.progress = "tty"
		}
	case "plain", "tty", "json", "none":
		o.progress = p
	default:
		return nil, fmt.Errorf("--progress %q: want auto, plain, tty, json or none", c.String("progress"))
	}
	if o.quiet {
		o.progress = "none"
	}
	return o, nil
}

// result prints v as indented JSON in JSON mode, and otherwise calls text with the output writer.
func (o *output) result(v any, text func(w io.Writer) error) error {
	if o.json {
		return writeJSON(o.out, v)
	}
	return text(o.out)
}

// notef prints a note for people on the error writer, unless --quiet or JSON output is asked for.
func (o *output) notef(format string, args ...any) {
	if o.quiet || o.json {
		return
	}
	fmt.Fprintf(o.err, format+"\n", args...)
}

// warnf prints a warning on the error writer; only an error silences it.
func (o *output) warnf(format string, args ...any) {
	fmt.Fprintf(o.err, "flavor: warning: "+format+"\n", args...)
}

// logger logs at debug level on the error writer with --verbose and discards otherwise.
func (o *output) logger() *slog.Logger {
	if !o.verbose {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(o.err, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// table writes rows aligned in columns.
func table(w io.Writer, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// bytesize renders a byte count for people: "512 B", "3.1 KiB", "12.0 MiB".
func bytesize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// exitError carries the exit code a failure asks for.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) ExitCode() int { return e.code }

// exitVerifyFailed is the exit code of a package that fails a check (verify, extract, inspect);
// other errors exit with 1.
const exitVerifyFailed = 2
