package packer

import (
	"fmt"
	"strings"
)

// Level is how much Open, Verify and extraction check (pspf-decisions §2). The table below is
// the whole contract; "polWarn" means the failure is added to the returned warnings and reading
// goes on, "-" means the check is not made.
//
//	check                                             strict standard relaxed minimal none
//	trailer magic, format_version, offsets in bounds,
//	  metadata gzip/JSON decodable                     fatal  fatal    fatal   fatal   fatal
//	index Adler-32, package_size = file size,
//	  metadata SHA-256                                 fatal  fatal    polWarn    -       -
//	Ed25519 signature present and valid                fatal  fatal    polWarn    polWarn    -
//	signer in the trusted set (WithTrustedKeys; below
//	  relaxed, the option is refused)                  fatal  fatal    fatal   -       -
//	slot table vs signed metadata (count, id, size,
//	  pinned descriptor), launcher vs signed checksum  fatal  fatal    polWarn    -       -
//	slot bytes vs full SHA-256 in signed metadata      fatal  fatal    fatal   -       -
//	slot bytes vs 64-bit descriptor checksum           fatal  fatal    fatal   fatal   -
//	layout hygiene: zero flags, reserved bytes,
//	  padding and gaps; no overlapping regions         fatal  -        -       -       -
type Level int

// Verification levels, weakest first.
const (
	LevelNone Level = iota
	LevelMinimal
	LevelRelaxed
	LevelStandard
	LevelStrict
)

var levelNames = []string{"none", "minimal", "relaxed", "standard", "strict"}

// ParseLevel reads a level name (FLAVOR_VALIDATION values); "" is standard.
func ParseLevel(s string) (Level, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	if k == "" {
		return LevelStandard, nil
	}
	for i, n := range levelNames {
		if n == k {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("unknown verification level %q%s (one of strict, standard, relaxed, minimal, none): %w",
		s, didYouMean(k, levelNames), ErrInvalidInput)
}

// String returns the level's name.
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// check is one row of the Level table.
type check int

const (
	checkIndex      check = iota // Adler-32, package_size, metadata SHA-256
	checkSignature               // signature present and valid
	checkTrust                   // trusted signer
	checkTable                   // slot table and launcher vs signed metadata
	checkSlotFull                // full SHA-256 of slot bytes
	checkSlotPrefix              // 64-bit descriptor checksum
	checkLayout                  // strict hygiene
)

// policy returns whether a check runs at level l and whether its failure is fatal.
func (l Level) policy(c check) (run, fatal bool) {
	v := policyTable[c][l]
	return v != polSkip, v == polFatal
}

const (
	polSkip = iota
	polWarn
	polFatal
)

// policyTable rows are checks, columns levels: none, minimal, relaxed, standard, strict.
var policyTable = [...][5]int{
	checkIndex:      {polSkip, polSkip, polWarn, polFatal, polFatal},
	checkSignature:  {polSkip, polWarn, polWarn, polFatal, polFatal},
	checkTrust:      {polSkip, polSkip, polFatal, polFatal, polFatal},
	checkTable:      {polSkip, polSkip, polWarn, polFatal, polFatal},
	checkSlotFull:   {polSkip, polSkip, polFatal, polFatal, polFatal},
	checkSlotPrefix: {polSkip, polFatal, polFatal, polFatal, polFatal},
	checkLayout:     {polSkip, polSkip, polSkip, polSkip, polFatal},
}

// Warning is a failed check that the verification level let through.
type Warning struct {
	Check string // short name of the check ("index checksum", "signature", …)
	Err   error  // the error it would have been, wrapping the sentinel
}

func (w Warning) String() string { return w.Check + ": " + w.Err.Error() }
