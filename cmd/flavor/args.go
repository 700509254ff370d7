package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed moves each command's flags in front of its positional arguments, so
// `flavor verify hello.psp --deep` works like `flavor verify --deep hello.psp` (urfave/cli v2 stops
// parsing flags at the first argument). It walks the command path by name, knows which flags take
// a value, and leaves everything after "--" alone.
func interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	cmds, flags := app.Commands, app.Flags
	i := 1
	for i < len(args) {
		// Copy this level's leading flags verbatim, then look for a subcommand name.
		for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" && args[i] != "--" {
			out = append(out, args[i])
			if takesValue(flags, args[i]) && i+1 < len(args) {
				out = append(out, args[i+1])
				i++
			}
			i++
		}
		if i >= len(args) {
			return out
		}
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(args[i]) {
				next = c
				break
			}
		}
		if next == nil {
			return append(out, args[i:]...) // not a command of ours: let the app report it
		}
		out = append(out, args[i])
		i++
		cmds, flags = next.Subcommands, next.Flags
		if len(cmds) == 0 {
			break
		}
	}
	var flagArgs, positional []string
	for ; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			positional = append(positional, args[i:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			flagArgs = append(flagArgs, a)
			if takesValue(flags, a) && i+1 < len(args) {
				flagArgs = append(flagArgs, args[i+1])
				i++
			}
		default:
			positional = append(positional, a)
		}
	}
	return append(append(out, flagArgs...), positional...)
}

// takesValue reports whether arg ("--name", "-n", "--name=v") is a flag that consumes the next
// argument as its value.
func takesValue(flags []cli.Flag, arg string) bool {
	if strings.Contains(arg, "=") {
		return false
	}
	name := strings.TrimLeft(arg, "-")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if df, ok := f.(cli.DocGenerationFlag); ok {
				return df.TakesValue()
			}
			return true
		}
	}
	return false
}
