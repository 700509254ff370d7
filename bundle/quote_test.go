package bundle

import "testing"

func TestQuoteCommand(t *testing.T) {
	cases := []struct {
		words []string
		want  string
	}{
		{[]string{"--production"}, "--production"},
		{[]string{"{workenv}/bin/x", "a=b", "x@y:1,2%+"}, "{workenv}/bin/x a=b x@y:1,2%+"},
		{[]string{"two words"}, "'two words'"},
		{[]string{"it's"}, `'it'\''s'`},
		{[]string{""}, "''"},
		{[]string{`back\slash`, `"dq"`, "$HOME", "a;b", "tab\there"}, `'back\slash' '"dq"' '$HOME' 'a;b' 'tab	here'`},
		{[]string{"ünïcode"}, "'ünïcode'"},
		{nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			if got := QuoteCommand(tc.words...); got != tc.want {
				t.Fatalf("QuoteCommand(%q) = %s, want %s", tc.words, got, tc.want)
			}
		})
	}
}
