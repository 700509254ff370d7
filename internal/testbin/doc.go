// Package testbin builds the launcher executable (launcher/cmd/flavor-launcher) for tests, once per
// test process and platform, exactly as `make launchers` does (internal/launcherbuild), so
// `go test ./...` works from a fresh clone without `make` and tests what ships.
package testbin
