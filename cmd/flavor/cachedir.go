package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/internal/cachedir"
)

// cacheDir is the cache root of a command: --cache when the command has it and it is given, else
// the rule the launcher follows too ($FLAVOR_CACHE, else $XDG_CACHE_HOME/flavor, else
// %LocalAppData%\flavor on Windows, else ~/.cache/flavor). Only cmd/flavor reads the environment;
// the libraries are given the directory.
func cacheDir(c *cli.Context) (string, error) {
	if dir := c.String("cache"); dir != "" {
		return dir, nil
	}
	dir, err := cachedir.Resolve(os.Getenv, runtime.GOOS)
	if err != nil {
		return "", fmt.Errorf("finding the cache directory: %w", err)
	}
	return dir, nil
}
