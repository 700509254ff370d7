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
	ctx, stop := notifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, New(), os.Args)
	stop()
	os.Exit(code)
}

// signalReceived is the cause of a context that notifyContext cancelled: the signal that stopped
// the run, so the exit code can say which one it was (128 + its number, as shells do).
type signalReceived struct{ sig os.Signal }

func (s signalReceived) Error() string { return s.sig.String() + " signal received" }

// Is makes the cause, which libraries wrap in place of context.Canceled, still a cancellation.
func (s signalReceived) Is(target error) bool { return target == context.Canceled }

// notifyContext is signal.NotifyContext with the signal kept as the context's cause.
func notifyContext(parent context.Context, sigs ...os.Signal) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case s := <-ch:
			cancel(signalReceived{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}
