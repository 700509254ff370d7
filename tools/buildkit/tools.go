//go:build tools

// Package tools records the BuildKit commands integration/setup.sh builds from this module:
// `go build -o DIR github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl`.
package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
