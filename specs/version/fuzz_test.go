package version

import "testing"

// FuzzParse checks that Parse never panics and that Compare is a consistent total order on
// whatever it is given: reflexive, antisymmetric, and stable under normalisation.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.0", "1:2.3-4", "1.0~rc1", "v1.00_1", "1.0+pre2_p20191024.1", "", "abc", "0:", "-1", "1.0-", "~"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := Parse(a)
		vb, _ := Parse(b)
		if (errA == nil) != va.Valid() {
			t.Fatalf("Parse(%q): error %v but Valid()=%v", a, errA, va.Valid())
		}
		if va.Compare(va) != 0 {
			t.Fatalf("Compare(%q, itself) != 0", a)
		}
		if va.Compare(vb) != -vb.Compare(va) {
			t.Fatalf("Compare(%q, %q) not antisymmetric", a, b)
		}
		if va.Valid() {
			n, err := Parse(Normalize(a))
			if err != nil || n.Compare(va) != 0 {
				t.Fatalf("normalised %q (%q) compares differently: %v", a, Normalize(a), err)
			}
		}
	})
}

// FuzzParseConstraint checks that selector parsing never panics and that a parsed selector's
// Check agrees with its terms.
func FuzzParseConstraint(f *testing.F) {
	for _, s := range []string{">=1.0", ">=1.0, <2", "!1.0", "=foo", "", ",", ">=", "<=1:0~a-b"} {
		f.Add(s, "1.5")
	}
	f.Fuzz(func(t *testing.T, sel, v string) {
		c, err := ParseConstraint(sel)
		if err != nil {
			return
		}
		got := c.CheckString(v)
		want := true
		pv, _ := Parse(v)
		for _, term := range c.Terms() {
			want = want && (Constraint{terms: []Term{term}}).Check(pv)
		}
		if got != want {
			t.Fatalf("%q vs %q: Check=%v but terms say %v", sel, v, got, want)
		}
		if !c.Intersects(c) && c.Check(pv) {
			t.Fatalf("%q does not intersect itself but %q satisfies it", sel, v)
		}
	})
}
