package specs

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors callers branch on. Every error Load returns about the content of a tree wraps
// ErrInvalidSpec (and is a *SpecError naming the file and line); resolution errors wrap one of
// the others.
var (
	ErrInvalidSpec   = errors.New("invalid spec")
	ErrNotFound      = errors.New("package not found")
	ErrUnsatisfiable = errors.New("requirements cannot be satisfied")
	ErrCycle         = errors.New("dependency cycle")
	ErrNotBuildable  = errors.New("package cannot be built")
)

// SpecError is a mistake in a tree's files: the file, the line (0 when unknown) and what is
// wrong, said so that the fix is clear.
type SpecError struct {
	File string
	Line int
	Msg  string
	Err  error // an underlying error, if any
}

func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is find ErrInvalidSpec and the underlying error.
func (e *SpecError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidSpec, e.Err}
	}
	return []error{ErrInvalidSpec}
}

func specErr(file string, line int, err error, format string, args ...any) *SpecError {
	return &SpecError{File: file, Line: line, Msg: fmt.Sprintf(format, args...), Err: err}
}
