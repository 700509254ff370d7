package launcher

import (
	"fmt"
	"strings"
)

// SplitCommand splits a command string into words with the shell-like rules of FlavorPack's Go
// launcher (pspf-2025.md §11.8): blanks (space, tab, newline, carriage return) separate words;
// inside single quotes every character is literal; inside double quotes a backslash makes the next
// character literal; outside quotes a backslash makes the next character literal; quotes join with
// the text around them ("a'b c'd" is one word) and an empty pair (” or "") is an empty word. An
// unterminated quote or a trailing backslash is ErrUnbalancedQuote. Nothing else is special: no
// variables, globs, pipes or "&&".
func SplitCommand(s string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case '\\':
			if i+1 == len(s) {
				return nil, fmt.Errorf("splitting %q: %w: trailing backslash", s, ErrUnbalancedQuote)
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("splitting %q: %w: single quote at byte %d is never closed", s, ErrUnbalancedQuote, i)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case '"':
			start := i
			closed := false
			for i++; i < len(s); i++ {
				if s[i] == '"' {
					closed = true
					break
				}
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
			if !closed {
				return nil, fmt.Errorf("splitting %q: %w: double quote at byte %d is never closed", s, ErrUnbalancedQuote, start)
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
