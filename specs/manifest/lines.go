package manifest

import (
	"strconv"
	"strings"
)

// The TOML decoder reports lines only for syntax errors, and for a key repeated in an array of
// tables it remembers only the last one. keyLines recovers the line of every key (and of every
// element of an array of tables) with a small scanner over the source, which toml.Decode has
// already accepted. It serves only to put line numbers into error messages; a key it cannot place
// gets line 0 and the message goes out without one.

// keySep joins the parts of a key path; TOML keys may contain dots but not NUL.
const keySep = "\x00"

type occurrence struct {
	key  string // parts joined by keySep
	idx  int    // index in the innermost enclosing array (of tables, or inline), or -1
	line int
}

type keyLines struct {
	occ []occurrence
}

// line returns the line of key within element idx of its innermost array (idx -1: any). A key
// missing from the source (implied by a dotted key or a sub-table) falls back to the first key
// under it, then to its parent. Element indexes restart in each element of an enclosing array, so
// for nested arrays of tables the first match wins; the manifest has none.
func (k *keyLines) line(path []string, idx int) int {
	if k == nil {
		return 0
	}
	for n := len(path); n > 0; n-- {
		key := strings.Join(path[:n], keySep)
		for _, o := range k.occ {
			if o.key == key && (idx < 0 || o.idx == idx) {
				return o.line
			}
		}
		for _, o := range k.occ {
			if strings.HasPrefix(o.key, key+keySep) && (idx < 0 || o.idx == idx) {
				return o.line
			}
		}
	}
	if idx >= 0 {
		// No such element: the line of the nearest enclosing key outside any element, such as
		// the line where an inline array starts.
		for n := len(path); n > 0; n-- {
			key := strings.Join(path[:n], keySep)
			for _, o := range k.occ {
				if o.key == key && o.idx < 0 {
					return o.line
				}
			}
		}
	}
	return 0
}

type lineScanner struct {
	src     string
	pos     int
	line    int
	context []string
	idx     int
	arrays  map[string]int // array-of-tables path → index of its current element
	out     []occurrence
}

func scanKeyLines(src string) *keyLines {
	s := &lineScanner{src: src, line: 1, idx: -1, arrays: map[string]int{}}
	for s.pos < len(s.src) {
		start := s.pos
		s.statement()
		if s.pos == start {
			s.advance() // never stall on input the scanner does not understand
		}
	}
	return &keyLines{occ: s.out}
}

func (s *lineScanner) eof() bool { return s.pos >= len(s.src) }

func (s *lineScanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.pos]
}

func (s *lineScanner) advance() {
	if s.eof() {
		return
	}
	if s.src[s.pos] == '\n' {
		s.line++
	}
	s.pos++
}

func (s *lineScanner) skipBlank(newlines bool) {
	for !s.eof() {
		switch c := s.peek(); {
		case c == ' ' || c == '\t' || c == '\r':
			s.pos++
		case c == '\n' && newlines:
			s.advance()
		case c == '#':
			for !s.eof() && s.peek() != '\n' {
				s.pos++
			}
		default:
			return
		}
	}
}

func (s *lineScanner) record(path []string, idx int) {
	s.out = append(s.out, occurrence{key: strings.Join(path, keySep), idx: idx, line: s.line})
}

func (s *lineScanner) statement() {
	s.skipBlank(true)
	if s.eof() {
		return
	}
	if s.peek() == '[' {
		s.header()
		return
	}
	line := s.line
	parts := s.key()
	s.skipBlank(false)
	if len(parts) == 0 || s.peek() != '=' {
		s.skipLine()
		return
	}
	s.pos++
	full := append(append([]string(nil), s.context...), parts...)
	s.out = append(s.out, occurrence{key: strings.Join(full, keySep), idx: s.idx, line: line})
	s.value(full, s.idx)
}

func (s *lineScanner) skipLine() {
	for !s.eof() && s.peek() != '\n' {
		s.pos++
	}
}

func (s *lineScanner) header() {
	s.pos++
	array := s.peek() == '['
	if array {
		s.pos++
	}
	parts := s.key()
	s.skipLine()
	s.context = parts
	joined := strings.Join(parts, keySep)
	if array {
		n, seen := s.arrays[joined]
		if seen {
			n++
		}
		for k := range s.arrays {
			if strings.HasPrefix(k, joined+keySep) {
				delete(s.arrays, k) // a new element starts its nested arrays afresh
			}
		}
		s.arrays[joined] = n
		s.idx = n
	} else {
		// A sub-table of an array element belongs to that element.
		s.idx = -1
		for i := len(parts) - 1; i > 0; i-- {
			if n, ok := s.arrays[strings.Join(parts[:i], keySep)]; ok {
				s.idx = n
				break
			}
		}
	}
	s.record(parts, s.idx)
}

// key reads a dotted key of bare, "basic" and 'literal' parts.
func (s *lineScanner) key() []string {
	var parts []string
	for {
		s.skipBlank(false)
		switch c := s.peek(); {
		case c == '"':
			start := s.pos
			s.basicString()
			raw := s.src[start:s.pos]
			if v, err := strconv.Unquote(raw); err == nil {
				parts = append(parts, v)
			} else {
				parts = append(parts, strings.Trim(raw, `"`))
			}
		case c == '\'':
			s.pos++
			start := s.pos
			for !s.eof() && s.peek() != '\'' && s.peek() != '\n' {
				s.pos++
			}
			parts = append(parts, s.src[start:s.pos])
			if s.peek() == '\'' {
				s.pos++
			}
		case isBare(c):
			start := s.pos
			for !s.eof() && isBare(s.peek()) {
				s.pos++
			}
			parts = append(parts, s.src[start:s.pos])
		default:
			return parts
		}
		s.skipBlank(false)
		if s.peek() != '.' {
			return parts
		}
		s.pos++
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// basicString skips a "..." string at the cursor, honouring backslash escapes.
func (s *lineScanner) basicString() {
	s.pos++
	for !s.eof() {
		switch s.peek() {
		case '\\':
			s.pos++
			if !s.eof() {
				s.advance()
			}
		case '"':
			s.pos++
			return
		case '\n':
			return
		default:
			s.pos++
		}
	}
}

// multiline skips a """...""" or ”'...”' string whose delimiter is at the cursor.
func (s *lineScanner) multiline(delim string, escapes bool) {
	s.pos += 3
	for !s.eof() {
		if escapes && s.peek() == '\\' {
			s.pos++
			if !s.eof() {
				s.advance()
			}
			continue
		}
		if strings.HasPrefix(s.src[s.pos:], delim) {
			s.pos += 3
			for i := 0; i < 2 && !s.eof() && s.peek() == delim[0]; i++ {
				s.pos++ // up to two quotes may end the content right before the delimiter
			}
			return
		}
		s.advance()
	}
}

// value skips one value, recording the keys of inline tables under prefix.
func (s *lineScanner) value(prefix []string, idx int) {
	s.skipBlank(false)
	switch {
	case strings.HasPrefix(s.src[s.pos:], `"""`):
		s.multiline(`"""`, true)
	case strings.HasPrefix(s.src[s.pos:], `'''`):
		s.multiline(`'''`, false)
	case s.peek() == '"':
		s.basicString()
	case s.peek() == '\'':
		s.pos++
		for !s.eof() && s.peek() != '\'' && s.peek() != '\n' {
			s.pos++
		}
		if s.peek() == '\'' {
			s.pos++
		}
	case s.peek() == '[':
		s.pos++
		for i := 0; !s.eof(); i++ {
			s.skipBlank(true)
			if s.peek() == ']' {
				s.pos++
				return
			}
			start := s.pos
			s.value(prefix, i)
			s.skipBlank(true)
			if s.peek() == ',' {
				s.pos++
			} else if s.pos == start {
				s.advance()
			}
		}
	case s.peek() == '{':
		s.pos++
		for !s.eof() {
			s.skipBlank(true)
			if s.peek() == '}' {
				s.pos++
				return
			}
			start := s.pos
			parts := s.key()
			s.skipBlank(false)
			if len(parts) > 0 && s.peek() == '=' {
				s.pos++
				full := append(append([]string(nil), prefix...), parts...)
				s.record(full, idx)
				s.value(full, idx)
			}
			s.skipBlank(true)
			if s.peek() == ',' {
				s.pos++
			} else if s.pos == start {
				s.advance()
			}
		}
	default:
		for !s.eof() {
			switch s.peek() {
			case ',', ']', '}', '\n', '#':
				return
			}
			s.pos++
		}
	}
}
