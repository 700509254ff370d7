package launcher

import (
	"errors"
	"io/fs"
)

// Category says what kind of failure stopped a launch; each has its own exit code, mirroring
// FlavorPack's launchers (pspf-2025.md §11.12), but decided by error type rather than by words in
// the message.
type Category int

// The categories, in the order of their exit codes.
const (
	// CategoryOther is any failure not listed below: signature, trust, setup commands (104).
	CategoryOther Category = iota
	// CategoryFormat is a file that is not a readable PSPF/2025 package: magic, version, index (102).
	CategoryFormat
	// CategorySlot is a slot that cannot be read, checked or extracted (103).
	CategorySlot
	// CategoryUsage is a bad launcher setting or argument: FLAVOR_VALIDATION, FLAVOR_EXEC_MODE… (105).
	CategoryUsage
	// CategoryIO is a file system or process failure: cache directory, lock, exec (106).
	CategoryIO
)

// ExitCode is the launcher's exit status for a failure of this category.
func (c Category) ExitCode() int {
	switch c {
	case CategoryFormat:
		return 102
	case CategorySlot:
		return 103
	case CategoryUsage:
		return 105
	case CategoryIO:
		return 106
	default:
		return 104
	}
}

// String names the category ("format", "slot", …).
func (c Category) String() string {
	switch c {
	case CategoryFormat:
		return "format"
	case CategorySlot:
		return "slot"
	case CategoryUsage:
		return "usage"
	case CategoryIO:
		return "i/o"
	default:
		return "verification"
	}
}

// Error is a failed launch: what was being done, why it failed, and what the user can do about it.
// Every error Run returns before the package's command starts is an *Error.
type Error struct {
	// Op says what failed, naming the object: "verifying hello.psp".
	Op string
	// Err is why.
	Err error
	// Fix is one short sentence telling the user what to do, or "".
	Fix string
	// Category decides the exit code.
	Category Category
}

func (e *Error) Error() string { return e.Op + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Sentinel errors of the launcher itself; packer's sentinels (packer.ErrBadSignature, …) come
// through wrapped as they are.
var (
	// ErrNoCommand means the package's metadata names no command to run.
	ErrNoCommand = errors.New("package has no execution command")
	// ErrUnbalancedQuote means a command string has an unterminated quote or a trailing backslash.
	ErrUnbalancedQuote = errors.New("unbalanced quote")
	// ErrUnknownSlot means a {slot:N} placeholder names a slot the package does not have, or one
	// that is not for this platform.
	ErrUnknownSlot = errors.New("no such slot")
	// ErrNotFound means the command's executable is not on the child's PATH.
	ErrNotFound = errors.New("executable not found")
	// ErrSetupFailed means a setup command exited non-zero or could not run.
	ErrSetupFailed = errors.New("setup command failed")
	// ErrBadSetting means a FLAVOR_* environment variable has a value the launcher does not know.
	ErrBadSetting = errors.New("bad setting")
	// ErrHostileEntry means a slot would write outside the workenv or through a link.
	ErrHostileEntry = errors.New("slot entry escapes the workenv")
)

// ExitCode is the exit status for err: 0 for nil, the category's code for an *Error, and for
// anything else 106 when the cause is a file system error and 104 otherwise.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var le *Error
	if errors.As(err, &le) {
		return le.Category.ExitCode()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return CategoryIO.ExitCode()
	}
	return CategoryOther.ExitCode()
}

// Fix returns the remedy carried by err, or "".
func Fix(err error) string {
	var le *Error
	if errors.As(err, &le) {
		return le.Fix
	}
	return ""
}

func fail(cat Category, op string, err error, fix string) *Error {
	return &Error{Op: op, Err: err, Fix: fix, Category: cat}
}
