package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/flavor-dev/flavor/launcher"
	"github.com/flavor-dev/flavor/packer"
)

const cliHelp = `flavor-launcher CLI mode (FLAVOR_LAUNCHER_CLI=1): PACKAGE [command]
  info                 name, version, signer, slots, command and workenv (the default)
  verify               every check, slot bytes included, at FLAVOR_VALIDATION's level
  metadata             the signed metadata JSON, exactly as signed
  extract SLOT DIR     extract one slot into DIR (safely: nothing outside DIR)
  run [ARGS...]        run the package as if CLI mode were off
  help                 this text
`

// cliMode reports whether FLAVOR_LAUNCHER_CLI asks for CLI mode.
func cliMode() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(launcher.EnvCLI))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// runCLI runs one CLI command and returns the exit code; errors are *launcher.Error or usage.
func runCLI(ctx context.Context, stdout io.Writer, args []string, opts []launcher.Option) (int, error) {
	cmd := "info"
	if len(args) > 1 {
		cmd = args[1]
	}
	usage := func(why string) error {
		return &launcher.Error{Op: "reading the CLI command", Err: errors.New(why), Fix: "see FLAVOR_LAUNCHER_CLI=1 " + args[0] + " help", Category: launcher.CategoryUsage}
	}
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, cliHelp)
		return 0, nil
	case "run":
		return launcher.Run(ctx, append(opts, launcher.WithArgs(append([]string{args[0]}, args[2:]...)))...)
	case "info", "verify", "metadata", "extract":
	default:
		return 0, usage(fmt.Sprintf("unknown command %q", cmd))
	}
	p, err := launcher.Open(ctx, opts...)
	if err != nil {
		return 0, err
	}
	defer p.Close()
	m := p.Metadata()
	switch cmd {
	case "metadata":
		stdout.Write(m.JSON())
	case "verify":
		if err := p.VerifyContent(ctx); err != nil {
			return 0, &launcher.Error{Op: "verifying " + p.Name(), Err: err, Fix: "the package is damaged; get a fresh copy", Category: launcher.CategorySlot}
		}
		for _, w := range p.Warnings() {
			fmt.Fprintf(stdout, "warning: %s\n", w)
		}
		fmt.Fprintf(stdout, "OK %s %s: every check passed at level %s (signer %x)\n", m.Package.Name, m.Package.Version, p.Level(), p.PublicKey())
	case "extract":
		if len(args) != 4 {
			return 0, usage("extract wants SLOT and DIR")
		}
		i, err := strconv.Atoi(args[2])
		if err != nil || i < 0 || i >= p.NumSlots() {
			return 0, usage(fmt.Sprintf("slot %q is not a number from 0 to %d", args[2], p.NumSlots()-1))
		}
		out, err := p.ExtractSlot(ctx, i, args[3])
		if err != nil {
			return 0, &launcher.Error{Op: "extracting slot " + args[2], Err: err, Category: launcher.CategorySlot}
		}
		fmt.Fprintln(stdout, out)
	default:
		info(stdout, p, m)
	}
	return 0, nil
}

func info(w io.Writer, p *packer.Package, m *packer.Metadata) {
	fmt.Fprintf(w, "package  %s %s\nformat   %s\nsigner   %x\nchecked  header at level %s\ncommand  %s\n",
		m.Package.Name, m.Package.Version, m.Format, p.PublicKey(), p.Level(), m.Execution.Command)
	if we, err := launcher.Workenv(os.Environ(), m); err == nil {
		fmt.Fprintf(w, "workenv  %s\n", we)
	}
	for i := 0; i < p.NumSlots(); i++ {
		s, _ := p.SlotInfo(i)
		d, _ := p.Descriptor(i)
		fmt.Fprintf(w, "slot %d   %s  %s  target %s  lifecycle %s  %d bytes\n", i, s.ID, d.Chain(), s.Target, s.Lifecycle, d.Size)
	}
}
