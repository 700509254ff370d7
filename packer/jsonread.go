package packer

import (
	"errors"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader is the small JSON decoder ParseMetadata uses instead of encoding/json. Reading
// goes through it so that programs which read packages but never write them (the launcher) link
// none of encoding/json's reflection: about 0.3 MB of the launcher's executable. It accepts
// exactly the documents encoding/json accepts (RFC 8259, nesting at most 10000 deep), decodes
// strings the way it does (invalid UTF-8 and lone surrogates become U+FFFD), matches field names
// exactly first and then case-insensitively, and gives the same values, with one deliberate
// difference: an object that names the same field or map key twice is refused (errDuplicateKey),
// where encoding/json lets the last one win, so no two readers of signed metadata can disagree
// about what it says. FuzzMetadataDecoder holds it to encoding/json.
type jsonReader struct {
	b     []byte
	i     int
	depth int
}

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

var errDuplicateKey = errors.New("key appears twice")

func (d *jsonReader) syntax(what string) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", d.i, what)
}

func (d *jsonReader) typeError(want string) error {
	return fmt.Errorf("JSON value at offset %d is not %s", d.i, want)
}

func (d *jsonReader) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (d *jsonReader) peek() byte {
	d.space()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// null consumes a null literal when one is next.
func (d *jsonReader) null() (bool, error) {
	if d.peek() != 'n' {
		return false, nil
	}
	return true, d.literal("null")
}

func (d *jsonReader) literal(lit string) error {
	if len(d.b)-d.i < len(lit) || string(d.b[d.i:d.i+len(lit)]) != lit {
		return d.syntax("invalid literal")
	}
	d.i += len(lit)
	return nil
}

// end checks that only white space follows the top-level value.
func (d *jsonReader) end() error {
	if d.peek() != 0 || d.i != len(d.b) {
		return d.syntax("data after the top-level value")
	}
	return nil
}

// skip validates and skips one value.
func (d *jsonReader) skip() error {
	switch c := d.peek(); {
	case c == '{':
		return d.object(func([]byte) error { return d.skip() })
	case c == '[':
		return d.array(d.skip)
	case c == '"':
		_, err := d.str()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return err
	case c == 0:
		return d.syntax("unexpected end of input")
	default:
		return d.syntax(fmt.Sprintf("unexpected character %q", c))
	}
}

func (d *jsonReader) push() error {
	if d.depth++; d.depth > maxJSONDepth {
		return d.syntax("exceeded max depth")
	}
	return nil
}

// object reads an object, calling member with each key once the reader stands before its value;
// member must consume the value. The key's bytes are valid only during the call.
func (d *jsonReader) object(member func(key []byte) error) error {
	if d.peek() != '{' {
		return d.typeError("an object")
	}
	d.i++
	if err := d.push(); err != nil {
		return err
	}
	if d.peek() == '}' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.syntax("object key is not a string")
		}
		key, err := d.key()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return d.syntax("missing ':' after object key")
		}
		d.i++
		if err := member(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return nil
		default:
			return d.syntax("missing ',' or '}' in object")
		}
	}
}

// array reads an array, calling elem with the reader before each element.
func (d *jsonReader) array(elem func() error) error {
	if d.peek() != '[' {
		return d.typeError("an array")
	}
	d.i++
	if err := d.push(); err != nil {
		return err
	}
	if d.peek() == ']' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return nil
		default:
			return d.syntax("missing ',' or ']' in array")
		}
	}
}

// number reads a number literal and returns its text.
func (d *jsonReader) number() (string, error) {
	start := d.i
	b := d.b
	digits := func() int {
		n := 0
		for d.i < len(b) && b[d.i] >= '0' && b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(b) && b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(b) && b[d.i] == '0':
		d.i++
	case digits() == 0:
		return "", d.syntax("invalid number")
	}
	if d.i < len(b) && b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return "", d.syntax("invalid number")
		}
	}
	if d.i < len(b) && (b[d.i] == 'e' || b[d.i] == 'E') {
		d.i++
		if d.i < len(b) && (b[d.i] == '+' || b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return "", d.syntax("invalid number")
		}
	}
	return string(b[start:d.i]), nil
}

// key reads an object key: the input's own bytes when it needs no unquoting.
func (d *jsonReader) key() ([]byte, error) {
	start := d.i + 1
	for j := start; j < len(d.b); j++ {
		c := d.b[j]
		if c == '"' {
			d.i = j + 1
			return d.b[start:j:j], nil
		}
		if c == '\\' || c < ' ' || c >= utf8.RuneSelf {
			break
		}
	}
	s, err := d.str()
	return []byte(s), err
}

// str reads a string the way encoding/json unquotes it.
func (d *jsonReader) str() (string, error) {
	if d.peek() != '"' {
		return "", d.typeError("a string")
	}
	d.i++
	b := d.b
	start := d.i
	// Fast path: no escapes, no control characters, valid UTF-8.
	for d.i < len(b) {
		c := b[d.i]
		if c == '"' {
			s := string(b[start:d.i])
			d.i++
			return s, nil
		}
		if c == '\\' || c < ' ' {
			break
		}
		if c < utf8.RuneSelf {
			d.i++
			continue
		}
		r, size := utf8.DecodeRune(b[d.i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		d.i += size
	}
	out := append(make([]byte, 0, d.i-start+16), b[start:d.i]...)
	for d.i < len(b) {
		c := b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(out), nil
		case c < ' ':
			return "", d.syntax("control character in string")
		case c == '\\':
			if d.i+1 >= len(b) {
				return "", d.syntax("unexpected end of input in string")
			}
			d.i += 2
			switch e := b[d.i-1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(b[d.i:])
				if r < 0 {
					return "", d.syntax("invalid \\u escape")
				}
				d.i += 4
				if utf16.IsSurrogate(r) {
					var r2 rune = -1
					if d.i+1 < len(b) && b[d.i] == '\\' && b[d.i+1] == 'u' {
						r2 = hex4(b[d.i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
						d.i += 6
						out = utf8.AppendRune(out, dec)
						continue
					}
					r = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", d.syntax("invalid escape in string")
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			d.i++
		default:
			r, size := utf8.DecodeRune(b[d.i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[d.i:d.i+size]...)
			}
			d.i += size
		}
	}
	return "", d.syntax("unexpected end of input in string")
}

// hex4 decodes 4 hex digits, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// The typed decoders below leave their target unchanged for a null, like encoding/json does
// for strings, numbers, booleans and (set to nil) slices, maps and pointers.

func (d *jsonReader) stringInto(dst *string) error {
	if null, err := d.null(); null || err != nil {
		return err
	}
	s, err := d.str()
	*dst = s
	return err
}

func (d *jsonReader) boolInto(dst *bool) error {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case 't':
		*dst = true
		return d.literal("true")
	case 'f':
		*dst = false
		return d.literal("false")
	}
	if err := d.skip(); err != nil {
		return err
	}
	return d.typeError("a boolean")
}

// integer reads a JSON number that must be an integer in [min, max] (encoding/json's rules:
// no fraction or exponent).
func (d *jsonReader) integer(minV, maxV int64) (int64, error) {
	if c := d.peek(); c != '-' && (c < '0' || c > '9') {
		if err := d.skip(); err != nil {
			return 0, err
		}
		return 0, d.typeError("a number")
	}
	lit, err := d.number()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil || n < minV || n > maxV {
		return 0, fmt.Errorf("JSON number %s at offset %d does not fit", lit, d.i)
	}
	return n, nil
}

func (d *jsonReader) intInto(dst *int) error {
	if null, err := d.null(); null || err != nil {
		return err
	}
	n, err := d.integer(-1<<(strconv.IntSize-1), 1<<(strconv.IntSize-1)-1)
	if err == nil {
		*dst = int(n)
	}
	return err
}

func (d *jsonReader) int64Into(dst *int64) error {
	if null, err := d.null(); null || err != nil {
		return err
	}
	n, err := d.integer(-1<<63, 1<<63-1)
	if err == nil {
		*dst = n
	}
	return err
}

// stringsInto reads an array of strings; null elements are empty strings, an empty array an
// empty (non-nil) slice.
func (d *jsonReader) stringsInto(dst *[]string) error {
	if null, err := d.null(); null || err != nil {
		*dst = nil
		return err
	}
	out := []string{}
	err := d.array(func() error {
		var s string
		err := d.stringInto(&s)
		out = append(out, s)
		return err
	})
	*dst = out
	return err
}

// stringMapInto reads an object of strings; a key that appears twice is an error.
func (d *jsonReader) stringMapInto(dst *map[string]string) error {
	if null, err := d.null(); null || err != nil {
		*dst = nil
		return err
	}
	m := map[string]string{}
	*dst = m
	return d.object(func(key []byte) error {
		if _, dup := m[string(key)]; dup {
			return fmt.Errorf("%w: %q", errDuplicateKey, key)
		}
		var s string
		err := d.stringInto(&s)
		m[string(key)] = s
		return err
	})
}

// fields reads an object into a struct whose JSON field names are names: each key goes to
// field(k), k the index of the name it matches exactly or else case-insensitively; other keys
// are skipped. A field named twice is an error. A null leaves the struct as it is.
func (d *jsonReader) fields(names []string, field func(k int) error) error {
	if null, err := d.null(); null || err != nil {
		return err
	}
	var seen uint64 // structs here have fewer than 64 fields
	return d.object(func(key []byte) error {
		k := matchField(names, key)
		if k < 0 {
			return d.skip()
		}
		if seen&(1<<k) != 0 {
			return fmt.Errorf("%w: %q", errDuplicateKey, key)
		}
		seen |= 1 << k
		return field(k)
	})
}

// matchField returns the index of the name key matches, exactly or else the way encoding/json
// matches case-insensitively, or -1.
func matchField(names []string, key []byte) int {
	for k, n := range names {
		if n == string(key) {
			return k
		}
	}
	folded := foldJSONName(string(key))
	for k, n := range names {
		if foldJSONName(n) == folded {
			return k
		}
	}
	return -1
}

// foldJSONName folds a name the way encoding/json does before its case-insensitive match.
func foldJSONName(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c >= 'a' && c <= 'z' {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			out = append(out, byte(r))
			continue
		}
		for { // the smallest rune of r's fold set
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}
