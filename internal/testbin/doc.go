// Package testbin builds the launcher executable (launcher/cmd/flavor-launcher) for tests, once per
// test process and platform, with the flags `make launchers` uses (CGO_ENABLED=0, -trimpath,
// -ldflags "-s -w -buildid="), so `go test ./...` works from a fresh clone without `make`.
package testbin
