package flavor

import (
	"errors"
	"strings"
	"testing"
)

// mergeFuncs runs a two-flavor merge both ways Conary does (overrideFlavor and
// mergeFlavorList); depstest.py expects the same answer from each.
var mergeFuncs = map[string]func(a, b string, t MergeType) (string, error){
	"Override": func(a, b string, t MergeType) (string, error) {
		f, err := Override(MustParse(a), MustParse(b), t)
		return f.String(), err
	},
	"Merge": func(a, b string, t MergeType) (string, error) {
		f, err := Merge(t, MustParse(a), MustParse(b))
		return f.String(), err
	},
}

const conflict = "<conflict>"

func TestTwoFlavorMerges(t *testing.T) {
	// depstest.py testOverrideWeakPrefs, testMergeNormal and testMergeDropConflicts.
	tests := []struct {
		t    MergeType
		a, b string
		want string
	}{
		{MergePrefs, "~foo", "foo", "~foo"},
		{MergePrefs, "~foo", "~foo", "~foo"},
		{MergePrefs, "~foo", "~!foo", "~!foo"},
		{MergePrefs, "~foo", "!foo", "~!foo"},
		{MergePrefs, "~!foo", "foo", "~foo"},
		{MergePrefs, "~!foo", "~foo", "~foo"},
		{MergePrefs, "~!foo", "~!foo", "~!foo"},
		{MergePrefs, "~!foo", "!foo", "~!foo"},
		{MergePrefs, "foo", "foo", "foo"},
		{MergePrefs, "foo", "~foo", "foo"},
		{MergePrefs, "foo", "~!foo", "~!foo"},
		{MergePrefs, "foo", "!foo", "!foo"},
		{MergePrefs, "!foo", "foo", "foo"},
		{MergePrefs, "!foo", "~foo", "~foo"},
		{MergePrefs, "!foo", "~!foo", "!foo"},
		{MergePrefs, "!foo", "!foo", "!foo"},

		{MergeNormal, "~foo", "foo", "foo"},
		{MergeNormal, "~foo", "~foo", "~foo"},
		{MergeNormal, "~foo", "~!foo", conflict},
		{MergeNormal, "~foo", "!foo", "!foo"},
		{MergeNormal, "~!foo", "foo", "foo"},
		{MergeNormal, "~!foo", "~foo", conflict},
		{MergeNormal, "~!foo", "~!foo", "~!foo"},
		{MergeNormal, "~!foo", "!foo", "!foo"},
		{MergeNormal, "foo", "foo", "foo"},
		{MergeNormal, "foo", "~foo", "foo"},
		{MergeNormal, "foo", "~!foo", "foo"},
		{MergeNormal, "foo", "!foo", conflict},
		{MergeNormal, "!foo", "foo", conflict},
		{MergeNormal, "!foo", "~foo", "!foo"},
		{MergeNormal, "!foo", "~!foo", "!foo"},
		{MergeNormal, "!foo", "!foo", "!foo"},

		{MergeDropConflicts, "~foo", "foo", "foo"},
		{MergeDropConflicts, "~foo", "~foo", "~foo"},
		{MergeDropConflicts, "~foo", "~!foo", ""},
		{MergeDropConflicts, "~foo", "!foo", "!foo"},
		{MergeDropConflicts, "~!foo", "foo", "foo"},
		{MergeDropConflicts, "~!foo", "~foo", ""},
		{MergeDropConflicts, "~!foo", "~!foo", "~!foo"},
		{MergeDropConflicts, "~!foo", "!foo", "!foo"},
		{MergeDropConflicts, "foo", "foo", "foo"},
		{MergeDropConflicts, "foo", "~foo", "foo"},
		{MergeDropConflicts, "foo", "~!foo", "foo"},
		{MergeDropConflicts, "foo", "!foo", ""},
		{MergeDropConflicts, "!foo", "foo", ""},
		{MergeDropConflicts, "!foo", "~foo", "!foo"},
		{MergeDropConflicts, "!foo", "~!foo", "!foo"},
		{MergeDropConflicts, "!foo", "!foo", "!foo"},

		{MergeOverride, "foo,bar", "!foo", "bar,!foo"},
		{MergeOverride, "~foo", "~!foo", "~!foo"},
	}
	for name, merge := range mergeFuncs {
		for _, tt := range tests {
			t.Run(name+"/"+tt.t.String()+"/"+tt.a+"+"+tt.b, func(t *testing.T) {
				got, err := merge(tt.a, tt.b, tt.t)
				if tt.want == conflict {
					var me *MergeError
					if !errors.Is(err, ErrMergeConflict) || !errors.As(err, &me) {
						t.Fatalf("got %q, %v; want a merge conflict", got, err)
					}
					if !strings.HasPrefix(err.Error(), "invalid flag combination in merge: ") || me.A.Name != "foo" || me.B.Name != "foo" {
						t.Fatalf("conflict error %q names %v and %v", err, me.A, me.B)
					}
					return
				}
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
			})
		}
	}
}

func TestDropConflictsLeavesNoEmptyUseClass(t *testing.T) {
	// depstest: the result must be the empty flavor, not one with an empty use class.
	for name, f := range map[string]func() (Flavor, error){
		"Override": func() (Flavor, error) { return Override(MustParse("!foo"), MustParse("foo"), MergeDropConflicts) },
		"Merge":    func() (Flavor, error) { return Merge(MergeDropConflicts, MustParse("!foo"), MustParse("foo")) },
	} {
		t.Run(name, func(t *testing.T) {
			got, err := f()
			if err != nil || !got.Equal(Flavor{}) {
				t.Fatalf("got %q, %v; want the empty flavor", got.Key(), err)
			}
		})
	}
}

func TestMergeList(t *testing.T) {
	// depstest.py testMergeFlavorList.
	tests := []struct {
		t       MergeType
		flavors []string
		want    string
	}{
		{MergeNormal, []string{"foo", "~bar", "!bar", "baz"}, "!bar,baz,foo"},
		{MergeDropConflicts, []string{"foo", "~foo", "~!foo", "!foo"}, ""},
		{MergeDropConflicts, []string{"foo", "~foo", "~!foo", "bar"}, "bar,foo"},
		{MergeDropConflicts, []string{"foo", "!foo"}, ""},
		{MergeDropConflicts, []string{"is:", "is:"}, ""},
		{MergePrefs, []string{"foo", "~foo", "~foo"}, "foo"},
		{MergePrefs, []string{"foo", "~foo", "~!foo"}, "~!foo"},
		{MergePrefs, []string{"foo", "~!foo", ""}, "~!foo"},
		{MergePrefs, []string{"is:x86(!i686)", "~!foo", "is:x86_64", "is:x86(i686)"}, "~!foo is: x86(i686) x86_64"},
		{MergeOverride, []string{"ssl is: x86", "!ssl target: sparc", "~ssl"}, "~ssl is: x86 target: sparc"},
		{MergeNormal, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.t.String()+"/"+strings.Join(tt.flavors, "+"), func(t *testing.T) {
			var fs []Flavor
			for _, s := range tt.flavors {
				fs = append(fs, MustParse(s))
			}
			got, err := Merge(tt.t, fs...)
			if err != nil || got.String() != tt.want {
				t.Fatalf("Merge = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := Merge(MergeType(9), MustParse("ssl")); err == nil {
		t.Error("Merge accepted an unknown merge type")
	}
	if _, err := Override(MustParse("ssl"), MustParse("ssl"), MergeType(0)); err == nil {
		t.Error("Override accepted an unknown merge type")
	}
}

func TestOverride(t *testing.T) {
	base := "~!dom0,ssl,~!vmware,~!xen is: x86(i686) x86_64"
	tests := []struct {
		name       string
		t          MergeType
		base, user string
		want       string
	}{
		// conary-flavors.md §1.4, the verified run.
		{"user use flag replaces", MergeOverride, base, "xen", "~!dom0,ssl,~!vmware,xen is: x86(i686) x86_64"},
		{"user instruction set keeps only it", MergeOverride, base, "is: x86", "~!dom0,ssl,~!vmware,~!xen is: x86(i686)"},
		{"prefs: !ssl replaces ssl", MergePrefs, base, "!ssl", "~!dom0,!ssl,~!vmware,~!xen is: x86(i686) x86_64"},
		// depstest.py testOverrideFlavor.
		{"depstest 1", MergeOverride, "foo,bar is:x86(i686)", "!foo is:x86_64", "bar,!foo is: x86_64"},
		{"depstest 2", MergeOverride, "foo is:x86(i686,!i586) x86_64", "!foo is:x86(i586)", "!foo is: x86(i586,i686)"},
		{"user empty is: drops every arch", MergeOverride, "ssl is: x86 x86_64", "is:", "ssl"},
		{"user without is: keeps them", MergeOverride, "ssl is: x86 x86_64", "~!ssl", "~!ssl is: x86 x86_64"},
		{"targets are replaced like is:", MergeOverride, "target: sparc sparc64", "target: sparc64", "target: sparc64"},
		{"base without is: takes the user's", MergeOverride, "ssl", "is: x86_64", "ssl is: x86_64"},
		{"base empty use class takes the flags", MergeOverride, "use: is: x86", "ssl", "ssl is: x86"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Override(MustParse(tt.base), MustParse(tt.user), tt.t)
			if err != nil || got.String() != tt.want {
				t.Fatalf("Override = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestOverrideDoesNotChangeInputs(t *testing.T) {
	base, user := MustParse("~!xen,ssl is: x86(i686) x86_64"), MustParse("xen is: x86(sse)")
	bk, uk := base.Key(), user.Key()
	if _, err := Override(base, user, MergeOverride); err != nil {
		t.Fatal(err)
	}
	if base.Key() != bk || user.Key() != uk {
		t.Fatalf("inputs changed: %q %q", base.Key(), user.Key())
	}
}

func TestFill(t *testing.T) {
	// depstest.py testParseFlavor, the mergeFlavor part.
	tests := []struct{ f, base, want string }{
		{"is: x86(sse)", "use: gtk", "gtk is: x86(sse)"},
		{"gnome is: x86(sse)", "use: gtk", "gnome is: x86(sse)"},
		{"use: gnome", "is: x86(mmx)", "gnome is: x86(mmx)"},
		{"use: gnome is:", "is: x86(mmx)", "gnome"},
		{"use: is: ", "", ""},
		{"use: ssl is: x86", "use: gtk is: x86(mmx)", "ssl is: x86"},
		{"use: ssl", "is: x86(mmx) x86_64", "ssl is: x86(mmx) x86_64"},
		{"", "~ssl is: x86_64 target: sparc", "~ssl is: x86_64"},
		{"is: x86", "is:", "is: x86"},
	}
	for _, tt := range tests {
		t.Run(tt.f+"<-"+tt.base, func(t *testing.T) {
			if got := Fill(MustParse(tt.f), MustParse(tt.base)).String(); got != tt.want {
				t.Fatalf("Fill = %q, want %q", got, tt.want)
			}
		})
	}
	if got := Fill(MustParse("ssl"), MustParse("use: is:")).Key(); got != "ssl" {
		t.Errorf("Fill copied empty classes from base: %q", got)
	}
}

func TestMergeTypeString(t *testing.T) {
	for tt, want := range map[MergeType]string{MergeNormal: "normal", MergeOverride: "override", MergePrefs: "prefs", MergeDropConflicts: "drop-conflicts", 7: "MergeType(7)"} {
		if tt.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(tt), tt.String(), want)
		}
	}
}
