package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/engine/docker"
)

// engineNames are the container engines --engine accepts, the default first. Adding one is a
// package under engine/ and a case in openEngine.
var engineNames = []string{"docker", "podman", "buildkit"}

func engineFlag() cli.Flag {
	return &cli.StringFlag{Name: "engine", Value: engineNames[0], EnvVars: []string{"FLAVOR_ENGINE"},
		Usage: "the container `ENGINE` builds run on: " + strings.Join(engineNames, "|") + " (docker is reached at $DOCKER_HOST, else the local socket; podman at $CONTAINER_HOST, else /run/podman/podman.sock; buildkit at the build command's --builder, else $BUILDKIT_HOST)"}
}

// openEngine connects to the container engine --engine (or FLAVOR_ENGINE) names, at the address
// and with the settings the environment gives (engineEnv). It is the one place an engine is
// made; callers close it.
func openEngine(c *cli.Context, log *slog.Logger) (engine.Engine, error) {
	switch name := c.String("engine"); name {
	case "docker", "", "podman":
		opts := append(engineEnv(name, os.Getenv), docker.WithLogger(log))
		return docker.New(c.Context, opts...)
	case "buildkit":
		return nil, errors.New("--engine buildkit builds packages (flavor build); this command needs a container engine: give --engine docker or podman")
	default:
		return nil, fmt.Errorf("--engine %q (or FLAVOR_ENGINE): not a container engine flavor knows; use one of %s",
			name, strings.Join(engineNames, ", "))
	}
}

// engineEnv turns the variables the docker CLI and Podman read into options of the engine
// --engine names, as the Docker client's FromEnv would: $DOCKER_HOST (for podman
// $CONTAINER_HOST, else the socket in $XDG_RUNTIME_DIR or /run/podman/podman.sock for root),
// $DOCKER_CERT_PATH with $DOCKER_TLS_VERIFY, and $DOCKER_API_VERSION. Unset ones keep the
// library's defaults.
func engineEnv(name string, getenv func(string) string) []docker.Option {
	var opts []docker.Option
	if name == "podman" {
		host := getenv("CONTAINER_HOST")
		if host == "" {
			host = docker.PodmanSocket(getenv("XDG_RUNTIME_DIR"))
		}
		opts = append(opts, docker.WithPodman(), docker.WithHost(host))
	} else {
		opts = append(opts, docker.WithHost(getenv("DOCKER_HOST")))
	}
	if dir := getenv("DOCKER_CERT_PATH"); dir != "" {
		opts = append(opts, docker.WithTLS(dir, getenv("DOCKER_TLS_VERIFY") != ""))
	}
	return append(opts, docker.WithAPIVersion(getenv("DOCKER_API_VERSION")))
}
