package manifest

import (
	"errors"
	"fmt"
	"sort"

	"github.com/flavor-dev/flavor/specs/internal/suggest"
)

// ErrInvalid is wrapped by every error about the content of a manifest.
var ErrInvalid = errors.New("invalid manifest")

// Error is one problem in a manifest, located by file, line and key.
type Error struct {
	File string // the manifest's path as given
	Line int    // 1-based; 0 when the problem has no line (a missing table)
	Key  string // dotted key the problem is about ("execution.command", "slots[1].lifecycle"); may be empty
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key == "" {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Key + ": " + e.Msg
}

// Is makes errors.Is(err, ErrInvalid) true for an *Error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// maxErrors caps how many problems one decode reports.
const maxErrors = 20

// joinErrors orders errors by line and joins them.
func joinErrors(errs []*Error) error {
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	if len(errs) > maxErrors {
		errs = errs[:maxErrors]
	}
	if len(errs) == 1 {
		return errs[0]
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// didYouMean formats a suggestion as "; did you mean "x"?", or "".
func didYouMean(word string, known []string) string {
	if s := suggest.Nearest(word, known); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}
