package version

import (
	"errors"
	"strings"
	"testing"
)

func TestConstraintCheck(t *testing.T) {
	tests := []struct {
		sel  string
		v    string
		want bool
	}{
		{"", "1.0", true},
		{"", "garbage", true},
		{"1.0", "1.0", true},
		{"1.0", "0:1.0", true},
		{"1.0", "1.0+1", false},
		{"=1.0", "1.00", true},
		{"==1.0", "1.0", true},
		{"!=1.0", "1.0", false},
		{"!1.0", "1.1", true},
		{"!1.0", "1.0", false},
		{">=1.0", "1.0", true},
		{">=1.0", "1.0~rc1", false},
		{">1.0", "1.0+1", true},
		{">1.0", "1.0", false},
		{"<=1.0", "1.0-0", true},
		{"<1.0", "1.0~rc1", true},
		{"<1.0", "1.0", false},
		{">=0", "0.1", true},
		{">=1.1", "1.1", true},
		{">=1.0", "1.1", true},
		// comma ranges are an AND (we differ from Luet HEAD on purpose)
		{">=1.0, <2", "1.5", true},
		{">=1.0, <2", "2.0", false},
		{">=1.0,<2", "0.9", false},
		{">=1.0, !=1.2", "1.2", false},
		{">=1.0, !=1.2", "1.3", true},
		// an unparseable side only matches under = / != by text
		{"=foo", "foo", true},
		{"!=foo", "foo", false},
		{"!=foo", "bar", true},
		{">=1.0", "foo", false},
		{"1.0", "", false},
		// epochs can be selected (Luet ≤0.36.5 could not)
		{">=1:0.1", "1:0.2", true},
		{">=1:0.1", "9.9", false},
	}
	for _, tt := range tests {
		t.Run(tt.sel+" "+tt.v, func(t *testing.T) {
			c, err := ParseConstraint(tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.CheckString(tt.v); got != tt.want {
				t.Fatalf("%q satisfies %q = %v, want %v", tt.v, tt.sel, got, tt.want)
			}
		})
	}
}

func TestParseConstraintErrors(t *testing.T) {
	for _, sel := range []string{">=", ">=1.0,", ">=abc", "<", ">=1.0 <2 =3x>", ",", ">==1.0"} {
		t.Run(sel, func(t *testing.T) {
			_, err := ParseConstraint(sel)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), sel) {
				t.Fatalf("ParseConstraint(%q) = %v, want ErrInvalid naming the selector", sel, err)
			}
		})
	}
}

func TestIsSelector(t *testing.T) {
	for s, want := range map[string]bool{"1.0": false, ">=1.0": true, "=1.0": true, "!1.0": true, ">=1,<2": true, "": false, "1.0+1": false} {
		if IsSelector(s) != want {
			t.Errorf("IsSelector(%q) = %v, want %v", s, !want, want)
		}
	}
}

func TestExactAndAny(t *testing.T) {
	c, _ := ParseConstraint("1.2")
	if v, ok := c.Exact(); !ok || v.String() != "1.2" {
		t.Fatalf("Exact of 1.2 = %v, %v", v, ok)
	}
	c, _ = ParseConstraint(">=1.2")
	if _, ok := c.Exact(); ok {
		t.Fatalf(">=1.2 reported exact")
	}
	if !Any.IsAny() || c.IsAny() || len(c.Terms()) != 1 {
		t.Fatalf("IsAny/Terms wrong")
	}
}

func TestIntersects(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{">=1.0", ">=2.0", true},
		{">=1.0", "<1.0", false},
		{">=1.0", "<=1.0", true},
		{">1.0", "<=1.0", false},
		{">=1.0", "1.5", true},
		{"<1.0", "1.5", false},
		{"", "<1.0", true},
		{">=1.0, <2", ">=2", false},
		{">=1.0, <=1.0", "!=1.0", false},
		{"=foo", "=foo", true},
		{"=foo", ">=1.0", false},
		{"1.0", "1.0", true},
		{"1.0", "1.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+" & "+tt.b, func(t *testing.T) {
			a, err := ParseConstraint(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ParseConstraint(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Intersects(b); got != tt.want {
				t.Fatalf("Intersects = %v, want %v", got, tt.want)
			}
			if got := b.Intersects(a); got != tt.want {
				t.Fatalf("Intersects (swapped) = %v, want %v", got, tt.want)
			}
		})
	}
}
