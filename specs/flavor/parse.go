package flavor

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSyntax is wrapped by every error Parse returns for a malformed flavor string.
var ErrSyntax = errors.New("invalid flavor")

// SyntaxError describes where a flavor string stops following the grammar.
type SyntaxError struct {
	Flavor string // the input
	Column int    // 1-based byte column of the problem
	Msg    string // what was expected or found
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("parsing flavor %q: column %d: %s", e.Flavor, e.Column, e.Msg)
}

// Is makes errors.Is(err, ErrSyntax) true for a *SyntaxError.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Parse reads a flavor string (the grammar of deps.py's flavorRegexp):
//
//	flavor    := ['use:'] [useFlag (',' useFlag)*] ['is:' archGroup] ['target:' archGroup]
//	useFlag   := ['~' | '!' | '~!'] IDENT ['.' IDENT]
//	archGroup := archClause (' '+ archClause)*
//	archClause:= IDENT ['(' archFlag (',' archFlag)* ')']
//	archFlag  := ['~' | '!' | '~!'] IDENT
//	IDENT     := [0-9A-Za-z_-]+
//
// Whitespace is allowed around every token. "is:" (or "use:", "target:") with nothing after it
// gives an explicitly empty class. Errors are *SyntaxError values naming the column.
func Parse(s string) (Flavor, error) {
	p := parser{src: s}
	return p.parse()
}

// MustParse is Parse for flavors known to be valid, such as constants; it panics on an error.
func MustParse(s string) Flavor {
	f, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return f
}

type parser struct {
	src string
	pos int
	b   builder
}

func (p *parser) errorf(at int, format string, args ...any) error {
	return &SyntaxError{Flavor: p.src, Column: at + 1, Msg: fmt.Sprintf(format, args...)}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isIdent(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
}

func (p *parser) skipSpace() bool {
	start := p.pos
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
	return p.pos > start
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

// describe names the character at pos for error messages.
func (p *parser) describe(pos int) string {
	if pos >= len(p.src) {
		return "end of flavor"
	}
	c := p.src[pos]
	if c >= 0x80 || c < 0x20 {
		return fmt.Sprintf("byte %#02x", c)
	}
	return fmt.Sprintf("%q", string(c))
}

// section returns the class named by a "use:", "is:" or "target:" keyword at the cursor and the
// position after the colon. A word directly followed by ':' that is not a keyword is an error.
func (p *parser) section() (kind, int, bool, error) {
	i := p.pos
	for i < len(p.src) && isIdent(p.src[i]) {
		i++
	}
	if i == p.pos || i >= len(p.src) || p.src[i] != ':' {
		return 0, 0, false, nil
	}
	word := p.src[p.pos:i]
	for k, kw := range keyword {
		if word+":" == kw {
			return kind(k), i + 1, true, nil
		}
	}
	return 0, 0, false, p.errorf(p.pos, "unknown section %q; expected use:, is: or target:", word+":")
}

func (p *parser) parse() (Flavor, error) {
	p.skipSpace()
	next := kindUse // the earliest section still allowed
	for !p.eof() {
		k, after, ok, err := p.section()
		if err != nil {
			return Flavor{}, err
		}
		if !ok {
			if next != kindUse || p.b.present[kindUse] {
				return Flavor{}, p.errorf(p.pos, "unexpected %s; expected is: or target:", p.describe(p.pos))
			}
			k, after = kindUse, p.pos // use flags without the optional "use:"
		}
		if p.b.present[k] {
			return Flavor{}, p.errorf(p.pos, "%q appears twice", keyword[k])
		}
		if k < next {
			return Flavor{}, p.errorf(p.pos, "%q must come before %q", keyword[k], keyword[next-1])
		}
		p.pos = after
		p.b.markClass(k)
		p.skipSpace()
		if k == kindUse {
			err = p.useFlags()
		} else {
			err = p.archGroup(k)
		}
		if err != nil {
			return Flavor{}, err
		}
		next = k + 1
	}
	return p.b.flavor(), nil
}

// atSection reports whether a section keyword (or the end) is at the cursor.
func (p *parser) atSection() bool {
	if p.eof() {
		return true
	}
	_, _, ok, err := p.section()
	return ok || err != nil
}

func (p *parser) useFlags() error {
	if p.atSection() {
		return nil // "use:" with nothing after it
	}
	seen := map[string]bool{}
	var flags []Flag
	for {
		start := p.pos
		f, err := p.flag(true)
		if err != nil {
			return err
		}
		if seen[f.Name] {
			return p.errorf(start, "use flag %q appears twice", f.Name)
		}
		seen[f.Name] = true
		flags = append(flags, f)
		p.skipSpace()
		if p.eof() || p.src[p.pos] != ',' {
			if !p.atSection() {
				return p.errorf(p.pos, "unexpected %s after use flag %q; expected \",\", is: or target:", p.describe(p.pos), f.Name)
			}
			break
		}
		p.pos++ // ','
		p.skipSpace()
	}
	p.b.addDep(kindUse, useName, flags)
	return nil
}

// flag reads a sense prefix and a flag name; use flags may carry one ".local" part.
func (p *parser) flag(use bool) (Flag, error) {
	sense := Required
	switch {
	case strings.HasPrefix(p.src[p.pos:], "~!"):
		sense, p.pos = PreferNot, p.pos+2
	case strings.HasPrefix(p.src[p.pos:], "~"):
		sense, p.pos = Preferred, p.pos+1
	case strings.HasPrefix(p.src[p.pos:], "!"):
		sense, p.pos = Disallowed, p.pos+1
	}
	if !p.eof() && (p.src[p.pos] == '~' || p.src[p.pos] == '!') {
		return Flag{}, p.errorf(p.pos, "a flag takes one sense prefix: \"~\", \"!\" or \"~!\"")
	}
	name, err := p.ident("a flag name")
	if err != nil {
		return Flag{}, err
	}
	if use && !p.eof() && p.src[p.pos] == '.' {
		p.pos++
		local, err := p.ident("a flag name after \".\"")
		if err != nil {
			return Flag{}, err
		}
		name += "." + local
	}
	return Flag{Name: name, Sense: sense}, nil
}

func (p *parser) ident(what string) (string, error) {
	start := p.pos
	for !p.eof() && isIdent(p.src[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return "", p.errorf(start, "expected %s, found %s", what, p.describe(start))
	}
	return p.src[start:p.pos], nil
}

func (p *parser) archGroup(k kind) error {
	seen := map[string]bool{}
	for !p.atSection() {
		start := p.pos
		name, err := p.ident("an instruction set name")
		if err != nil {
			return err
		}
		if seen[name] {
			return p.errorf(start, "instruction set %q appears twice in %s", name, keyword[k])
		}
		seen[name] = true
		spaced := p.skipSpace()
		var flags []Flag
		if !p.eof() && p.src[p.pos] == '(' {
			p.pos++
			if flags, err = p.archFlags(name); err != nil {
				return err
			}
			spaced = p.skipSpace()
		}
		p.b.addDep(k, name, flags)
		if !spaced && !p.eof() {
			return p.errorf(p.pos, "unexpected %s after instruction set %q", p.describe(p.pos), name)
		}
	}
	return nil
}

func (p *parser) archFlags(arch string) ([]Flag, error) {
	seen := map[string]bool{}
	var flags []Flag
	for {
		p.skipSpace()
		start := p.pos
		f, err := p.flag(false)
		if err != nil {
			return nil, err
		}
		if seen[f.Name] {
			return nil, p.errorf(start, "flag %q appears twice in %s", f.Name, arch)
		}
		seen[f.Name] = true
		flags = append(flags, f)
		p.skipSpace()
		if p.eof() {
			return nil, p.errorf(p.pos, "missing \")\" after the flags of %s", arch)
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return flags, nil
		default:
			return nil, p.errorf(p.pos, "unexpected %s in the flags of %s; expected \",\" or \")\"", p.describe(p.pos), arch)
		}
	}
}
