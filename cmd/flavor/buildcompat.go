package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// imageFormat reads the global --output-format flag for build.go, which predates the shared
// output helper; it goes away once the build branch follows main's output.go.
func imageFormat(c *cli.Context) (string, error) {
	switch f := c.String("output-format"); f {
	case "text", "json":
		return f, nil
	default:
		return "", fmt.Errorf("--output-format %q: want text or json", f)
	}
}
