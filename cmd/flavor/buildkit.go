package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/engine/buildkit"
	"github.com/flavor-dev/flavor/platform"
)

// defaultBuildKitAddr is where buildkitd listens when started with its defaults (buildctl's
// default too).
const defaultBuildKitAddr = "unix:///run/buildkit/buildkitd.sock"

// buildkitFlags are the flags of `--engine buildkit`.
func buildkitFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "builder", EnvVars: []string{"FLAVOR_BUILDERS"},
			Usage: "with --engine buildkit, the buildkitd to build on: `ADDR` for every platform, or PLATFORM=ADDR for one (repeatable, or comma-separated; unix://, tcp://, docker-container://, kube-pod://, ssh://; default $BUILDKIT_HOST, else " + defaultBuildKitAddr + ")"},
		&cli.StringFlag{Name: "buildkit-cache", Usage: "with --engine buildkit, a registry `REPO` (e.g. 127.0.0.1:5000/flavor/buildcache) BuildKit imports its build cache from and exports it to, one tag per package"},
		&cli.StringFlag{Name: "buildkit-tlscacert", Usage: "with --engine buildkit, the CA certificate `FILE` that verifies tcp:// builders (turns TLS on)"},
		&cli.StringFlag{Name: "buildkit-tlscert", Usage: "with --engine buildkit and TLS, the client certificate `FILE`"},
		&cli.StringFlag{Name: "buildkit-tlskey", Usage: "with --engine buildkit and TLS, the client key `FILE`"},
		&cli.StringFlag{Name: "buildkit-tlsservername", Usage: "with --engine buildkit and TLS, the `NAME` the builders' certificates carry (default: the address's host)"},
	}
}

// builderAddr is one --builder entry: an address, for one platform or (zero) every platform.
type builderAddr struct {
	platform platform.Platform
	addr     string
}

// parseBuilders reads --builder values; with none, the one address BUILDKIT_HOST (getenv)
// names, else buildkitd's default socket.
func parseBuilders(values []string, getenv func(string) string) ([]builderAddr, error) {
	var out []builderAddr
	seen := map[string]string{}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			b := builderAddr{addr: part}
			if left, right, ok := strings.Cut(part, "="); ok && !strings.Contains(left, "://") {
				p, err := platform.Parse(left)
				if err != nil {
					return nil, fmt.Errorf("--builder %q: %w (want ADDR or PLATFORM=ADDR, e.g. linux/arm64=tcp://10.0.0.2:1234)", part, err)
				}
				b = builderAddr{platform: p.Normalize(), addr: right}
			}
			if !strings.Contains(b.addr, "://") {
				return nil, fmt.Errorf("--builder %q: the address needs a scheme (unix:///run/buildkit/buildkitd.sock, tcp://HOST:PORT, docker-container://NAME)", part)
			}
			k := b.platform.String()
			if prev, ok := seen[k]; ok {
				what := "every platform"
				if !b.platform.IsZero() {
					what = k
				}
				return nil, fmt.Errorf("--builder: two builders for %s (%s and %s)", what, prev, b.addr)
			}
			seen[k] = b.addr
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		addr := getenv("BUILDKIT_HOST")
		if addr == "" {
			addr = defaultBuildKitAddr
		}
		out = append(out, builderAddr{addr: addr})
	}
	return out, nil
}

// openSolvers connects to the builders --builder names and returns the build options that use
// them, the platforms given their own builder, and a function closing the connections.
func openSolvers(c *cli.Context, getenv func(string) string) ([]builder.Option, []platform.Platform, func(), error) {
	addrs, err := parseBuilders(c.StringSlice("builder"), getenv)
	if err != nil {
		return nil, nil, nil, err
	}
	var bopts []buildkit.Option
	if dir := c.String("buildkit-cache"); dir != "" {
		bopts = append(bopts, buildkit.WithRegistryCache(dir))
	}
	if ca := c.String("buildkit-tlscacert"); ca != "" {
		bopts = append(bopts, buildkit.WithTLS(ca, c.String("buildkit-tlscert"), c.String("buildkit-tlskey"), c.String("buildkit-tlsservername")))
	} else if c.String("buildkit-tlscert") != "" || c.String("buildkit-tlskey") != "" {
		return nil, nil, nil, errors.New("--buildkit-tlscert and --buildkit-tlskey need --buildkit-tlscacert")
	}
	clients := map[string]*buildkit.Client{}
	closeAll := func() {
		for _, cl := range clients {
			cl.Close()
		}
	}
	var opts []builder.Option
	var platforms []platform.Platform
	for _, a := range addrs {
		cl, ok := clients[a.addr]
		if !ok {
			if cl, err = buildkit.New(c.Context, a.addr, bopts...); err != nil {
				closeAll()
				return nil, nil, nil, err
			}
			clients[a.addr] = cl
		}
		if a.platform.IsZero() {
			opts = append(opts, builder.WithSolver(cl))
		} else {
			opts = append(opts, builder.WithSolver(cl, a.platform))
			platforms = append(platforms, a.platform)
		}
	}
	return opts, platforms, closeAll, nil
}
