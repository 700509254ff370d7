package flavor

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCanonical(t *testing.T) {
	// Inputs and outputs from conary_test/depstest/depstest.py testParseFlavor, plus the example
	// of conary-flavors.md §1.2.
	tests := []struct{ in, want string }{
		{"~!dom0, ~vmware, !xen is: x86 x86_64", "~!dom0,~vmware,!xen is: x86 x86_64"},
		{"", ""},
		{"is: mips", "is: mips"},
		{"is: x86(sse)", "is: x86(sse)"},
		{"is: x86(!sse)", "is: x86(!sse)"},
		{"is: x86(sse,mmx)", "is: x86(mmx,sse)"},
		{"is: x86(~sse,~!mmx)", "is: x86(~!mmx,~sse)"},
		{"is: x86(~sse,~!mmx) x86_64", "is: x86(~!mmx,~sse) x86_64"},
		{"is: x86(~sse,~!mmx) x86_64(3dnow)", "is: x86(~!mmx,~sse) x86_64(3dnow)"},
		{"ssl", "ssl"},
		{"~ssl", "~ssl"},
		{"gtk,ssl", "gtk,ssl"},
		{"!gtk,~!ssl", "!gtk,~!ssl"},
		{"use: gtk,ssl is: x86(sse,mmx)", "gtk,ssl is: x86(mmx,sse)"},
		{"  gtk,ssl is: x86(sse, mmx)  ", "gtk,ssl is: x86(mmx,sse)"},
		{"use: gtk,ssl is:x86(  sse,mmx)", "gtk,ssl is: x86(mmx,sse)"},
		{"use:    gtk  ,ssl   is:    x86(sse,mmx)", "gtk,ssl is: x86(mmx,sse)"},
		{"gtk,ssl is: x86(sse , mmx)", "gtk,ssl is: x86(mmx,sse)"},
		{"foo.bar,ssl is: x86", "foo.bar,ssl is: x86"},
		{"foo-valid.bar,ssl is: x86", "foo-valid.bar,ssl is: x86"},
		{"is: x86 x86_64(cmov) ppc(cmov)", "is: ppc(cmov) x86 x86_64(cmov)"},
		{"is: x86 x86_64 ppc(cmov)", "is: ppc(cmov) x86 x86_64"},
		{"is: x86(cmov) x86_64(cmov) ppc(cmov)", "is: ppc(cmov) x86(cmov) x86_64(cmov)"},
		{"is: x86 x86_64 ppc", "is: ppc x86 x86_64"},
		{"target: x86(cmov)", "target: x86(cmov)"},
		{"target: x86", "target: x86"},
		{"target: x86 x86_64", "target: x86 x86_64"},
		{"is: x86 x86_64(cmov) ppc(cmov) target: x86(cmov)", "is: ppc(cmov) x86 x86_64(cmov) target: x86(cmov)"},
		{"is: x86 x86_64 ppc target: x86(cmov) x86_64", "is: ppc x86 x86_64 target: x86(cmov) x86_64"},
		{"~!kernel.smp,ssl", "~!kernel.smp,ssl"},
		{"group-dist", "group-dist"},
		{"~!dom0,~!domU,~!vmware,~!xen is: x86(i486,i586,i686,sse,sse2) x86_64", "~!dom0,~!domU,~!vmware,~!xen is: x86(i486,i586,i686,sse,sse2) x86_64"},
		// Explicitly empty classes print nothing, as formatFlavor does.
		{"use: gnome is:", "gnome"},
		{"is:", ""},
		{"use: is: target:", ""},
		{"\tssl\n", "ssl"},
		{"ssl is: x86 ( sse )", "ssl is: x86(sse)"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := f.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
			again, err := Parse(f.String())
			if err != nil || again.String() != tt.want {
				t.Fatalf("Parse(String()) = %q, %v; want %q", again, err, tt.want)
			}
		})
	}
}

func TestParseStructure(t *testing.T) {
	f := MustParse("~!dom0,~vmware,!xen,ssl is: x86(i686,~!mmx) x86_64 target: sparc")
	wantUse := []Flag{{"dom0", PreferNot}, {"ssl", Required}, {"vmware", Preferred}, {"xen", Disallowed}}
	if got := f.UseFlags(); !equalFlags(got, wantUse) {
		t.Errorf("UseFlags() = %v, want %v", got, wantUse)
	}
	is := f.InstructionSets()
	if len(is) != 2 || is[0].Name != "x86" || is[1].Name != "x86_64" {
		t.Fatalf("InstructionSets() = %v", is)
	}
	if want := []Flag{{"i686", Required}, {"mmx", PreferNot}}; !equalFlags(is[0].Flags, want) {
		t.Errorf("x86 flags = %v, want %v", is[0].Flags, want)
	}
	if tg := f.Targets(); len(tg) != 1 || tg[0].Name != "sparc" {
		t.Errorf("Targets() = %v", tg)
	}
	if f.UseFlag("xen") != Disallowed || f.UseFlag("nope") != Unspecified {
		t.Errorf("UseFlag senses wrong: xen=%v nope=%v", f.UseFlag("xen"), f.UseFlag("nope"))
	}
	// Accessors hand out copies.
	f.UseFlags()[0].Sense = Required
	if f.UseFlag("dom0") != PreferNot {
		t.Errorf("mutating UseFlags() changed the flavor")
	}
}

func TestKeyKeepsEmptyClasses(t *testing.T) {
	tests := []struct {
		in, key              string
		use, is, target      bool
		empty                bool
		stringWithoutEmpties string
	}{
		{"", "", false, false, false, true, ""},
		{"is:", "is:", false, true, false, false, ""},
		{"use: gnome is:", "gnome is:", true, true, false, false, "gnome"},
		{"use: is: x86", "use: is: x86", true, true, false, false, "is: x86"},
		{"ssl target:", "ssl target:", true, false, true, false, "ssl"},
		{"use: is: target:", "use: is: target:", true, true, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f := MustParse(tt.in)
			if f.Key() != tt.key || f.String() != tt.stringWithoutEmpties {
				t.Fatalf("Key() = %q, String() = %q; want %q, %q", f.Key(), f.String(), tt.key, tt.stringWithoutEmpties)
			}
			if f.HasUse() != tt.use || f.HasInstructionSets() != tt.is || f.HasTargets() != tt.target || f.IsEmpty() != tt.empty {
				t.Fatalf("classes = use %v is %v target %v empty %v", f.HasUse(), f.HasInstructionSets(), f.HasTargets(), f.IsEmpty())
			}
			back := MustParse(f.Key())
			if !back.Equal(f) {
				t.Fatalf("Parse(Key()) = %q, not equal to %q", back.Key(), f.Key())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		column int
		msg    string
	}{
		{"foo bar", 5, `unexpected "b" after use flag "foo"; expected ",", is: or target:`},
		{"ssl,,gtk", 5, `expected a flag name, found ","`},
		{"ssl,", 5, "expected a flag name, found end of flavor"},
		{"!~ssl", 2, `a flag takes one sense prefix: "~", "!" or "~!"`},
		{"~~ssl", 2, "one sense prefix"},
		{"ssl,!ssl", 5, `use flag "ssl" appears twice`},
		{"kernel.smp.x", 11, `unexpected "." after use flag "kernel.smp"`},
		{"kernel.", 8, `expected a flag name after ".", found end of flavor`},
		{"is: x86(", 9, "expected a flag name, found end of flavor"},
		{"is: x86()", 9, `expected a flag name, found ")"`},
		{"is: x86(sse", 12, `missing ")" after the flags of x86`},
		{"is: x86(sse mmx)", 13, `unexpected "m" in the flags of x86; expected "," or ")"`},
		{"is: x86(sse.x)", 12, `unexpected "." in the flags of x86`},
		{"is: x86(sse,sse)", 13, `flag "sse" appears twice in x86`},
		{"is: x86 x86", 9, `instruction set "x86" appears twice in is:`},
		{"is: x86(sse)x86_64", 13, `unexpected "x" after instruction set "x86"`},
		{"is: x86,x86_64", 8, `unexpected "," after instruction set "x86"`},
		{"is: x86 ssl,gtk", 12, `unexpected "," after instruction set "ssl"`},
		{"target: x86 is: x86", 13, `"is:" must come before "target:"`},
		{"is: x86 use: ssl", 9, `"use:" must come before "is:"`},
		{"is: x86 is: x86_64", 9, `"is:" appears twice`},
		{"ssl use: gtk", 5, `"use:" appears twice`},
		{"arch: x86", 1, `unknown section "arch:"; expected use:, is: or target:`},
		{"sslis: x86", 1, `unknown section "sslis:"`},
		{"ssl\u00e9", 4, "byte 0xc3"},
		{"[ssl]", 1, `expected a flag name, found "["`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tt.in)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v (%T) is not a *SyntaxError wrapping ErrSyntax", err, err)
			}
			if se.Column != tt.column || !strings.Contains(se.Msg, tt.msg) {
				t.Fatalf("got column %d %q; want column %d containing %q", se.Column, se.Msg, tt.column, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "parsing flavor ") {
				t.Fatalf("error text %q does not say what was being done", err)
			}
		})
	}
}

func TestTextMarshalling(t *testing.T) {
	var f Flavor
	if err := f.UnmarshalText([]byte("~ssl is:")); err != nil {
		t.Fatal(err)
	}
	b, _ := f.MarshalText()
	if string(b) != "~ssl is:" {
		t.Fatalf("MarshalText = %q, want %q", b, "~ssl is:")
	}
	if err := f.UnmarshalText([]byte("is: (")); !errors.Is(err, ErrSyntax) {
		t.Fatalf("UnmarshalText of bad text: %v", err)
	}
	if f.Key() != "~ssl is:" {
		t.Fatalf("a failed UnmarshalText changed the flavor to %q", f.Key())
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustParse of a bad flavor did not panic")
		}
	}()
	MustParse("is: (")
}

func TestSenseNames(t *testing.T) {
	tests := []struct {
		s            Sense
		prefix, name string
		strong, weak Sense
	}{
		{Unspecified, "", "unspecified", Unspecified, Unspecified},
		{Required, "", "required", Required, Preferred},
		{Preferred, "~", "preferred", Required, Preferred},
		{PreferNot, "~!", "prefernot", Disallowed, PreferNot},
		{Disallowed, "!", "disallowed", Disallowed, PreferNot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.s.Prefix() != tt.prefix || tt.s.String() != tt.name || tt.s.Strong() != tt.strong || tt.s.Weak() != tt.weak {
				t.Fatalf("%d: prefix %q name %q strong %v weak %v", tt.s, tt.s.Prefix(), tt.s.String(), tt.s.Strong(), tt.s.Weak())
			}
		})
	}
	for _, name := range []string{"required", "preferred", "prefernot", "disallowed"} {
		if s, err := ParseSense(name); err != nil || s.String() != name {
			t.Errorf("ParseSense(%q) = %v, %v", name, s, err)
		}
	}
	if _, err := ParseSense("unspecified"); err == nil {
		t.Error("ParseSense accepted unspecified")
	}
	if Sense(9).String() != "Sense(9)" {
		t.Errorf("Sense(9).String() = %q", Sense(9).String())
	}
}

func equalFlags(a, b []Flag) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
