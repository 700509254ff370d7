package version

import (
	"fmt"
	"strconv"
	"strings"
)

// Bump returns the next rebuild of v, as `luet tree bump` does: a `+N` suffix is incremented
// ("1.0+1" → "1.0+2"), `+rN`, `+pN` and `+rcN` keep their prefix ("1.0+r1" → "1.0+r2"), another
// `+` suffix gains or increments a ".N" ("1.0+pre20200315" → "1.0+pre20200315.1" → ".2"), and
// a version without `+` gains "+1".
func Bump(v string) (string, error) {
	if _, err := Parse(v); err != nil {
		return "", fmt.Errorf("bumping %q: %w", v, err)
	}
	i := strings.LastIndexByte(v, '+')
	if i < 0 {
		return v + "+1", nil
	}
	head, build := v[:i+1], v[i+1:]
	if n, ok := atoi(build); ok {
		return head + strconv.Itoa(n+1), nil
	}
	// "r1", "p1", "rc1" keep their prefix (Luet: ^(r|p|rc)[0-9]*$)
	for _, pre := range []string{"rc", "r", "p"} {
		if rest, ok := strings.CutPrefix(build, pre); ok && (rest == "" || allDigits(rest)) {
			n, _ := atoi(rest)
			return head + pre + strconv.Itoa(n+1), nil
		}
	}
	// "pre20200315" → "pre20200315.1"; "pre20200315.1" → "pre20200315.2"
	if k := strings.LastIndexByte(build, '.'); k >= 0 {
		if n, ok := atoi(build[k+1:]); ok {
			return head + build[:k+1] + strconv.Itoa(n+1), nil
		}
	}
	return v + ".1", nil
}

func atoi(s string) (int, bool) {
	if s == "" || !allDigits(s) || len(s) > 9 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
