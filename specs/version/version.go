package version

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is wrapped by every error about a version or selector that cannot be parsed.
var ErrInvalid = errors.New("invalid version")

// Version is a parsed Debian-style version. The zero value is not valid and sorts first.
type Version struct {
	raw      string // as written
	epoch    string // digits, leading zeros trimmed, "0" when absent
	upstream string
	revision string
	valid    bool
}

// Parse reads s as a Debian version after Luet's normalisation (see the package doc). It returns
// an error wrapping ErrInvalid when s is not a valid version; the returned Version still carries
// the text, so it can be compared (it sorts before every valid version).
func Parse(s string) (Version, error) {
	v := Version{raw: s}
	n := Normalize(s)
	if n == "" {
		return v, fmt.Errorf("parsing version %q: %w: empty", s, ErrInvalid)
	}
	rest := n
	v.epoch = "0"
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		e := rest[:i]
		if e == "" || !allDigits(e) {
			return v, fmt.Errorf("parsing version %q: %w: epoch %q is not a number", s, ErrInvalid, e)
		}
		v.epoch = trimZeros(e)
		rest = rest[i+1:]
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.upstream, v.revision = rest[:i], rest[i+1:]
		if v.revision == "" {
			return v, fmt.Errorf("parsing version %q: %w: empty revision after '-'", s, ErrInvalid)
		}
	} else {
		v.upstream = rest
	}
	if v.upstream == "" {
		return v, fmt.Errorf("parsing version %q: %w: empty upstream version", s, ErrInvalid)
	}
	if !isDigit(v.upstream[0]) {
		return v, fmt.Errorf("parsing version %q: %w: must start with a digit", s, ErrInvalid)
	}
	if c, ok := badChar(v.upstream, ".+-~:"); ok {
		return v, fmt.Errorf("parsing version %q: %w: character %q not allowed", s, ErrInvalid, c)
	}
	if c, ok := badChar(v.revision, ".+~"); ok {
		return v, fmt.Errorf("parsing version %q: %w: character %q not allowed in revision", s, ErrInvalid, c)
	}
	v.valid = true
	return v, nil
}

// Normalize applies Luet's normalisation: surrounding space is trimmed, `_` becomes `-`, a
// leading `v` followed by a digit is dropped, and leading zeros of every digit run are trimmed
// ("1.00" → "1.0", "007" → "7").
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 1 && s[0] == 'v' && isDigit(s[1]) {
		s = s[1:]
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if !isDigit(c) {
			if c == '_' {
				c = '-'
			}
			b.WriteByte(c)
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		b.WriteString(trimZeros(s[i:j]))
		i = j
	}
	return b.String()
}

// Valid reports whether v parsed as a Debian version.
func (v Version) Valid() bool { return v.valid }

// String returns the version as written.
func (v Version) String() string { return v.raw }

// Compare orders v and w: -1 if v sorts first, 0 if they are equal (`0:1.0` equals `1.0`), +1
// otherwise. Invalid versions sort before valid ones and among themselves by their text.
func (v Version) Compare(w Version) int {
	switch {
	case !v.valid && !w.valid:
		return strings.Compare(v.raw, w.raw)
	case !v.valid:
		return -1
	case !w.valid:
		return 1
	}
	if c := compareDigits(v.epoch, w.epoch); c != 0 {
		return c
	}
	if c := verrevcmp(v.upstream, w.upstream); c != 0 {
		return c
	}
	return verrevcmp(v.revision, w.revision)
}

// Compare parses and compares two version strings (see Version.Compare).
func Compare(a, b string) int {
	va, _ := Parse(a)
	vb, _ := Parse(b)
	return va.Compare(vb)
}

// order gives the weight of a non-digit character in dpkg's comparison: `~` before the end of
// the string, the end before letters, letters before everything else.
func order(c byte, end bool) int {
	switch {
	case end:
		return 0
	case c == '~':
		return -1
	case isDigit(c):
		return 0
	case isLetter(c):
		return int(c)
	default:
		return int(c) + 256
	}
}

// verrevcmp is dpkg's lib/dpkg/version.c verrevcmp.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			var ca, cb byte
			if i < len(a) {
				ca = a[i]
			}
			if j < len(b) {
				cb = b[j]
			}
			oa, ob := order(ca, i >= len(a)), order(cb, j >= len(b))
			if oa != ob {
				return sign(oa - ob)
			}
			i++
			j++
		}
		si := i
		for si < len(a) && isDigit(a[si]) {
			si++
		}
		sj := j
		for sj < len(b) && isDigit(b[sj]) {
			sj++
		}
		if c := compareDigits(a[i:si], b[j:sj]); c != 0 {
			return c
		}
		i, j = si, sj
	}
	return 0
}

// compareDigits compares two runs of decimal digits numerically, whatever their length.
func compareDigits(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	if a == "0" {
		a = ""
	}
	if b == "0" {
		b = ""
	}
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

func trimZeros(d string) string {
	t := strings.TrimLeft(d, "0")
	if t == "" && d != "" {
		return "0"
	}
	return t
}

func badChar(s, allowed string) (rune, bool) {
	for _, r := range s {
		if r < 128 && (isDigit(byte(r)) || isLetter(byte(r))) {
			continue
		}
		if strings.ContainsRune(allowed, r) {
			continue
		}
		return r, true
	}
	return 0, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
