package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/engine/docker"
)

// engineNames are the container engines --engine accepts, the default first. Adding one is a
// package under engine/ and a case in openEngine.
var engineNames = []string{"docker", "podman"}

func engineFlag() cli.Flag {
	return &cli.StringFlag{Name: "engine", Value: engineNames[0], EnvVars: []string{"FLAVOR_ENGINE"},
		Usage: "the container `ENGINE` builds run on: " + strings.Join(engineNames, "|") + " (docker is reached at $DOCKER_HOST, else the local socket; podman at $CONTAINER_HOST, else /run/podman/podman.sock)"}
}

// openEngine connects to the container engine --engine (or FLAVOR_ENGINE) names. It is the one
// place an engine is made; callers close it.
func openEngine(c *cli.Context, log *slog.Logger) (engine.Engine, error) {
	switch name := c.String("engine"); name {
	case "docker", "":
		return docker.New(c.Context, docker.WithLogger(log))
	case "podman":
		return docker.New(c.Context, docker.WithPodman(), docker.WithLogger(log))
	default:
		return nil, fmt.Errorf("--engine %q (or FLAVOR_ENGINE): not a container engine flavor knows; use one of %s",
			name, strings.Join(engineNames, ", "))
	}
}
