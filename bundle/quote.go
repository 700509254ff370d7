package bundle

import "strings"

// QuoteCommand joins words into one command string that the launcher's shell-like splitter
// (pspf-2025.md §11.8: blanks separate words, single quotes are literal, a backslash outside
// quotes escapes the next character) splits back into exactly those words. Words made only of
// letters, digits and -_./:=@%+,{} are left bare, so placeholders such as {workenv} stay
// readable; any other word is single-quoted, each single quote inside it written as the four
// characters quote, backslash, quote, quote. An empty word becomes two single quotes.
func QuoteCommand(words ...string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w != "" && strings.Trim(w, bareChars) == "" {
			b.WriteString(w)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(w, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}

const bareChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,{}"
