package flavor

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that its errors are positioned *SyntaxErrors, and
// that printing is stable: Key round-trips exactly and String is a fixed point.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "ssl", "~!dom0, ~vmware, !xen is: x86 x86_64", "use: is: target:",
		"is: x86(~sse,~!mmx) x86_64(3dnow) target: sparc", "~!kernel.smp,ssl is: x86(i686)",
		"gnome is:", "is: x86(", "!~x", "a.b.c", "target: x is: y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) error %v is not a *SyntaxError", s, err)
			}
			if se.Column < 1 || se.Column > len(s)+1 {
				t.Fatalf("Parse(%q) error column %d out of range", s, se.Column)
			}
			return
		}
		key := fl.Key()
		again, err := Parse(key)
		if err != nil {
			t.Fatalf("Parse(Key()) of %q: %v", key, err)
		}
		if !again.Equal(fl) || again.Key() != key {
			t.Fatalf("Key round trip: %q gave %q", key, again.Key())
		}
		str := fl.String()
		viaString, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(String()) of %q: %v", str, err)
		}
		if viaString.String() != str {
			t.Fatalf("String not a fixed point: %q then %q", str, viaString.String())
		}
		// Scoring and shortening must not panic either.
		fl.Score(again)
		fl.Strong().Satisfies(fl)
		_, _ = ShortDescriptors([]Flavor{fl, again})
	})
}
