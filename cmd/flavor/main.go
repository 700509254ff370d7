// Command flavor builds Luet spec trees inside containers and packs the results into signed,
// self-extracting PSPF/2025 (.psp) executables, one per target platform.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, New(), os.Args)
	stop()
	os.Exit(code)
}
