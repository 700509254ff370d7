package flavor

import (
	"fmt"
	"testing"
)

func TestFlagScoreTable(t *testing.T) {
	// conary-flavors.md §1.5, flavorScores verbatim: rows are the system's sense, columns the
	// trove's; "x" is None (incompatible).
	const x = "x"
	table := map[Sense]map[Sense]string{
		Unspecified: {Required: x, Disallowed: "0", Preferred: "-1", PreferNot: "1"},
		Required:    {Required: "2", Disallowed: x, Preferred: "1", PreferNot: x},
		Disallowed:  {Required: x, Disallowed: "2", Preferred: x, PreferNot: "1"},
		Preferred:   {Required: "1", Disallowed: x, Preferred: "2", PreferNot: "-1"},
		PreferNot:   {Required: "-2", Disallowed: "1", Preferred: "-1", PreferNot: "1"},
	}
	for system, row := range table {
		for trove, want := range row {
			t.Run(system.String()+"/"+trove.String(), func(t *testing.T) {
				s, ok := FlagScore(system, trove)
				got := x
				if ok {
					got = fmt.Sprint(s)
				}
				if got != want {
					t.Fatalf("FlagScore(%v, %v) = %s, want %s", system, trove, got, want)
				}
			})
		}
	}
	if _, ok := FlagScore(Required, Unspecified); ok {
		t.Error("a trove flag without a sense scored as compatible")
	}
	if _, ok := FlagScore(Sense(7), Required); ok {
		t.Error("an out-of-range sense scored as compatible")
	}
}

// score renders a Score result the way the spec's tables write it.
func score(system, trove string) string {
	s, ok := MustParse(system).Score(MustParse(trove))
	if !ok {
		return "False"
	}
	return fmt.Sprint(s)
}

func TestScoreVerifiedExamples(t *testing.T) {
	// Every "checked output" of conary-flavors.md §1.5 and depstest.py testScoreFlavors.
	tests := []struct{ system, trove, want string }{
		{"", "!ssl", "0"},
		{"", "~!ssl", "1"},
		{"", "~!ssl,~!foo", "2"},
		{"", "~!ssl, ~!foo", "2"},
		{"", "~ssl", "-1"},
		{"", "ssl", "False"},
		{"is:x86", "is:x86", "1"},
		{"is:x86", "is:x86 x86_64", "False"},
		{"is:x86 x86_64", "is:x86 x86_64", "2"},
		{"is:x86(!mmx) x86_64", "is:x86(~!mmx) x86_64", "3"},
		{"is:x86_64", "is:x86", "False"},
		{"", "is:x86", "False"},
		{"", "is:x86(!i686)", "False"},
		{"is:x86_64", "is:x86(!i686)", "False"},
		{"~!dom0,~!vmware,~!xen is: x86(i486,i586,i686) x86_64", "~!dom0,~vmware,!xen is: x86 x86_64", "3"},
		{"~!dom0,~!vmware,~!xen is: x86_64", "~!dom0,~vmware,!xen is: x86 x86_64", "False"},
		{"~!dom0,~!vmware,~!xen is: x86 x86_64", "xen is: x86_64", "-1"},
		{"~!dom0,~!vmware,!xen is: x86 x86_64", "xen is: x86_64", "False"},
		{"ssl is: x86(i686,sse2)", "ssl is: x86(~i686)", "4"},
		{"is: x86_64", "is: x86_64 target: sparc", "False"},
	}
	for _, tt := range tests {
		t.Run(tt.system+"|"+tt.trove, func(t *testing.T) {
			if got := score(tt.system, tt.trove); got != tt.want {
				t.Fatalf("score(%q, %q) = %s, want %s", tt.system, tt.trove, got, tt.want)
			}
		})
	}
}

func TestScoreRules(t *testing.T) {
	// The points of conary-flavors.md §1.8, each pinned separately.
	tests := []struct{ name, system, trove, want string }{
		{"None is not 0: !f against not mentioned is fine", "gtk", "!ssl", "0"},
		{"None is not 0: f against not mentioned is not", "gtk", "ssl", "False"},
		{"empty trove class skipped", "", "is:", "0"},
		{"empty trove use class skipped", "is: x86", "use: is: x86", "1"},
		{"empty system class is a class without the arch", "is:", "is: x86", "False"},
		{"unspecified row when the system has no use class", "is: x86", "~!ssl,!debug is: x86", "2"},
		{"unspecified row when the system has an empty use class", "use: is: x86", "~ssl is: x86", "0"},
		{"system flags the trove does not mention cost nothing", "ssl,!debug,~gtk", "", "0"},
		{"+1 per matched architecture", "is: x86 x86_64", "is: x86_64", "1"},
		{"+1 per matched target", "target: sparc sparc64", "target: sparc sparc64", "2"},
		{"arch flags use the table", "is: x86(~!sse2)", "is: x86(sse2)", "-1"},
		{"asymmetry: system ~!f takes trove f", "~!ssl", "ssl", "-2"},
		{"asymmetry: system ~f rejects trove !f", "~ssl", "!ssl", "False"},
		{"system f rejects trove ~!f", "ssl", "~!ssl", "False"},
		{"system !f rejects trove ~f", "!ssl", "~ssl", "False"},
		{"local flags", "kernel.smp", "kernel.smp", "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := score(tt.system, tt.trove); got != tt.want {
				t.Fatalf("score(%q, %q) = %s, want %s", tt.system, tt.trove, got, tt.want)
			}
			sat := MustParse(tt.system).Satisfies(MustParse(tt.trove))
			if sat != (tt.want != "False") {
				t.Fatalf("Satisfies = %v, want %v", sat, tt.want != "False")
			}
		})
	}
}

func TestStrongAndWeak(t *testing.T) {
	f := MustParse("~foo,~bar,~!bam is: x86(~!i586)")
	if got := f.Strong().String(); got != "!bam,bar,foo is: x86(!i586)" {
		t.Errorf("Strong() = %q (depstest testStrongFlavor)", got)
	}
	if got := MustParse("foo,!bar,~baz is: x86(i686)").Weak().String(); got != "~!bar,~baz,~foo is: x86(~i686)" {
		t.Errorf("Weak() = %q", got)
	}
	if f.String() != "~!bam,~bar,~foo is: x86(~!i586)" {
		t.Errorf("Strong() changed its receiver: %q", f)
	}
	if got := MustParse("is:").Strong().Key(); got != "is:" {
		t.Errorf("Strong() lost an empty class: %q", got)
	}
}

func TestStronglySatisfies(t *testing.T) {
	tests := []struct {
		system, trove string
		want          bool
	}{
		// Weak senses that the normal score tolerates become strong conflicts.
		{"~ssl", "~!ssl", false},
		{"~!ssl", "ssl", false},
		{"~ssl", "ssl", true},
		{"is: x86_64", "is: x86_64", true},
		{"is: x86 x86_64", "is: x86", true},
		{"is: x86", "is: x86_64", false},
	}
	for _, tt := range tests {
		t.Run(tt.system+"|"+tt.trove, func(t *testing.T) {
			if got := MustParse(tt.system).StronglySatisfies(MustParse(tt.trove)); got != tt.want {
				t.Fatalf("StronglySatisfies = %v, want %v", got, tt.want)
			}
		})
	}
}
