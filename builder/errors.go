package builder

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flavor-dev/flavor/progress"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrStepFailed: a prelude line or a step exited non-zero (the error is a *StepError).
	ErrStepFailed = errors.New("build step failed")
	// ErrNoShell: a build root has no /bin/sh, which build containers need.
	ErrNoShell = errors.New("build root has no /bin/sh")
	// ErrUnsupportedPlatform: a package needed for a platform does not list it in `platforms:`.
	ErrUnsupportedPlatform = errors.New("package does not support the platform")
	// ErrCacheCorrupt: a cached artifact does not match the digest its metadata records.
	ErrCacheCorrupt = errors.New("cached artifact is corrupt")
)

// tailLines is how many lines of output a StepError keeps.
const tailLines = 20

// StepError is a prelude line or step that failed: which package, platform, stage and command,
// its exit code and the last lines of its output.
type StepError struct {
	Package  string         // "category/name@version"
	Platform string         // "linux/amd64"
	Stage    progress.Stage // StagePrelude or StageStep
	Index    int            // 1-based position of the command in its list
	Count    int            // how many commands the list has
	Command  string         // the command as written in build.yaml
	ExitCode int            // the command's exit code
	Output   []string       // the last lines of its output (up to 20), stdout and stderr interleaved
}

func (e *StepError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "building %s for %s: %s %d of %d `%s` exited with code %d", e.Package, e.Platform, e.Stage, e.Index, e.Count, e.Command, e.ExitCode)
	if len(e.Output) == 0 {
		b.WriteString(" (no output)")
		return b.String()
	}
	fmt.Fprintf(&b, "; its last %d lines of output:", len(e.Output))
	for _, l := range e.Output {
		b.WriteString("\n  | ")
		b.WriteString(l)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrStepFailed) true for a StepError.
func (e *StepError) Is(target error) bool { return target == ErrStepFailed }
