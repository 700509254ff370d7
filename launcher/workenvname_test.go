package launcher

import (
	"regexp"
	"testing"
)

// workenvNameRE is the shape isWorkenvName checks, as the regular expression it replaces.
var workenvNameRE = regexp.MustCompile(`^[A-Za-z0-9_+\-][A-Za-z0-9._+\-]*-[0-9a-f]{16}$`)

func TestIsWorkenvName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"hello-0123456789abcdef", true},
		{"a-0123456789abcdef", true},
		{"-0123456789abcdef0", false}, // no name before the dash
		{"--0123456789abcdef", true},
		{"my.pkg+x_1-00000000000000ff", true},
		{".hello-0123456789abcdef", false}, // a name never starts with a dot
		{"hello-0123456789ABCDEF", false},  // upper-case hex
		{"hello-0123456789abcde", false},   // 15 digits
		{"hello_0123456789abcdef", false},  // no dash
		{"hel/lo-0123456789abcdef", false},
		{"héllo-0123456789abcdef", false},
		{"hello-0123456789abcdef.pspf", false},
		{"", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isWorkenvName(tc.name); got != tc.want {
				t.Errorf("isWorkenvName(%q) = %v, want %v", tc.name, got, tc.want)
			}
			if re := workenvNameRE.MatchString(tc.name); re != tc.want {
				t.Errorf("the regular expression says %v for %q: the table is wrong", re, tc.name)
			}
		})
	}
}

// FuzzIsWorkenvName checks that isWorkenvName accepts exactly what the regular expression does.
func FuzzIsWorkenvName(f *testing.F) {
	for _, s := range []string{"hello-0123456789abcdef", ".x-0123456789abcdef", "--0123456789abcdef", "a-", "x.y+z-ffffffffffffffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isWorkenvName(s), workenvNameRE.MatchString(s); got != want {
			t.Fatalf("isWorkenvName(%q) = %v, the regular expression says %v", s, got, want)
		}
	})
}
