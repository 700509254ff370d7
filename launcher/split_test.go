package launcher

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   \t\n", nil},
		{"sh", []string{"sh"}},
		{"  sh   -c\tx\n", []string{"sh", "-c", "x"}},
		{`sh {workenv}/bin/app.sh --flag`, []string{"sh", "{workenv}/bin/app.sh", "--flag"}},
		{`echo 'a b' "c d"`, []string{"echo", "a b", "c d"}},
		{`a'b c'd`, []string{"ab cd"}},
		{`'' ""`, []string{"", ""}},
		{`x '' y`, []string{"x", "", "y"}},
		{`'it''s'`, []string{"its"}},
		{`"say \"hi\""`, []string{`say "hi"`}},
		{`"a\\b"`, []string{`a\b`}},
		{`'a\b'`, []string{`a\b`}},
		{`a\ b`, []string{"a b"}},
		{`\'x`, []string{"'x"}},
		{`"$HOME" && ls`, []string{"$HOME", "&&", "ls"}},
		{"ünï 'cödé ✓'", []string{"ünï", "cödé ✓"}},
		{`"multi
line"`, []string{"multi\nline"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SplitCommand(tt.in)
			if err != nil {
				t.Fatalf("SplitCommand(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("SplitCommand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitCommandUnbalanced(t *testing.T) {
	for _, in := range []string{`'abc`, `"abc`, `abc\`, `"abc\"`, `a 'b" c`, `x "y`} {
		t.Run(in, func(t *testing.T) {
			_, err := SplitCommand(in)
			if !errors.Is(err, ErrUnbalancedQuote) {
				t.Fatalf("SplitCommand(%q) error = %v, want ErrUnbalancedQuote", in, err)
			}
			if !strings.Contains(err.Error(), strconv.Quote(in)) {
				t.Fatalf("error %q does not quote the command", err)
			}
		})
	}
}

// quote is the inverse of SplitCommand for the fuzz test: single-quote every word.
func quote(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(w, `'`, `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{"sh -c 'x y'", `"a\"b" c\ d`, "", "'", `\`, "a''b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitCommand(s)
		if err != nil {
			if !errors.Is(err, ErrUnbalancedQuote) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		// Quoting the words and splitting again must give them back exactly.
		again, err := SplitCommand(quote(words))
		if err != nil {
			t.Fatalf("re-splitting %q: %v", quote(words), err)
		}
		if len(words) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(words, again) {
			t.Fatalf("round trip of %q: %q then %q", s, words, again)
		}
	})
}
