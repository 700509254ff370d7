package flavor

import (
	"errors"
	"strings"
	"testing"
)

func TestSetOperations(t *testing.T) {
	// depstest.py testFlavorSetOps.
	a, b := MustParse("foo,bar is: x86"), MustParse("foo,~!bar")
	if got := intersect(a, b, true).String(); got != "foo" {
		t.Errorf("a & b = %q, want foo", got)
	}
	if got := difference(a, b, true).String(); got != "bar is: x86" {
		t.Errorf("a - b = %q, want %q", got, "bar is: x86")
	}
	d := Differences([]Flavor{a, b}, true)
	if d[0].String() != "bar is: x86" || d[1].String() != "~!bar" {
		t.Errorf("Differences = %q, %q; want %q, %q", d[0], d[1], "bar is: x86", "~!bar")
	}

	a, b = MustParse("foo,bar"), MustParse("~foo,~!bar,bam")
	if got := intersect(a, b, false).String(); got != "foo" {
		t.Errorf("non-strict a & b = %q, want foo", got)
	}
	if got := difference(a, b, false).String(); got != "bar" {
		t.Errorf("non-strict a - b = %q, want bar", got)
	}
	d = Differences([]Flavor{a, b}, false)
	if d[0].String() != "bar" || d[1].String() != "bam,~!bar" {
		t.Errorf("non-strict Differences = %q, %q; want bar, bam,~!bar", d[0], d[1])
	}
	if Differences(nil, true) != nil {
		t.Error("Differences of nothing is not empty")
	}
	same := MustParse("ssl is: x86")
	for _, f := range Differences([]Flavor{same, same}, true) {
		if !f.IsEmpty() {
			t.Errorf("difference of equal flavors = %q, want empty", f.Key())
		}
	}
}

func TestDifferencesDisplay(t *testing.T) {
	// The --all-flavors listing of the seed document, shortened as display.py does.
	flavors := []string{
		"dom0,~!domU,~!vmware,xen is: x86 x86_64",
		"~!dom0,domU,~!vmware,xen is: x86 x86_64",
		"~!dom0,~!domU,vmware,~!xen is: x86 x86_64",
		"~!dom0,~!domU,~!vmware,~!xen is: x86 x86_64",
	}
	var fs []Flavor
	for _, s := range flavors {
		fs = append(fs, MustParse(s))
	}
	want := []string{
		"dom0,~!domU,~!vmware,xen",
		"~!dom0,domU,~!vmware,xen",
		"~!dom0,~!domU,vmware,~!xen",
		"~!dom0,~!domU,~!vmware,~!xen",
	}
	for i, d := range Differences(fs, false) {
		if d.String() != want[i] {
			t.Errorf("difference %d = %q, want %q", i, d, want[i])
		}
	}
	// strict=false treats ~foo and foo alike but not ~foo and ~!foo.
	d := Differences([]Flavor{MustParse("~ssl,gtk"), MustParse("ssl,gtk")}, false)
	if !d[0].IsEmpty() || !d[1].IsEmpty() {
		t.Errorf("non-strict: ~ssl vs ssl differ: %q %q", d[0], d[1])
	}
	d = Differences([]Flavor{MustParse("~ssl"), MustParse("~!ssl")}, false)
	if d[0].String() != "~ssl" || d[1].String() != "~!ssl" {
		t.Errorf("non-strict: ~ssl vs ~!ssl = %q %q", d[0], d[1])
	}
}

func TestShortDescriptors(t *testing.T) {
	tests := []struct {
		name    string
		flavors []string
		want    []string
	}{
		{"conary-flavors.md §1.7 xen/vmware", []string{
			"dom0,~!domU,~!vmware,xen is: x86 x86_64",
			"~!dom0,domU,~!vmware,xen is: x86 x86_64",
			"~!dom0,~!domU,vmware,~!xen is: x86 x86_64",
			"~!dom0,~!domU,~!vmware,~!xen is: x86 x86_64",
		}, []string{"x86_64-dom0-xen", "x86_64-domU-xen", "x86_64-vmware", "x86_64"}},
		{"ssl against !ssl", []string{"ssl is: x86_64", "!ssl is: x86_64"}, []string{"x86_64-ssl", "x86_64"}},
		{"depstest foo,bar", []string{"foo,bar", "~foo", "!foo"}, []string{"bar-foo", "foo", ""}},
		{"depstest !foo vs nothing", []string{"!foo", ""}, []string{"!foo", ""}},
		{"depstest !foo vs ~!foo", []string{"!foo", "~!foo"}, []string{"!foo", "~!foo"}},
		{"depstest foo vs ~foo", []string{"foo", "~foo"}, []string{"foo", "~foo"}},
		{"depstest repeated flavor", []string{"foo", "~foo", "~foo"}, []string{"foo", "~foo", "~foo"}},
		{"depstest three senses", []string{"foo", "~foo", "!foo"}, []string{"foo", "~foo", "!foo"}},
		{"depstest arch then flag", []string{"foo is: x86", "foo,bar is: x86"}, []string{"x86", "x86-bar"}},
		{"depstest flag only", []string{"foo", "foo,bar"}, []string{"", "bar"}},
		{"architectures alone suffice", []string{"ssl is: x86", "ssl is: x86 x86_64", "ssl is: aarch64"}, []string{"x86", "x86_64", "aarch64"}},
		{"stage 3 keeps the arch", []string{"~!foo is: x86_64", "!foo is: x86_64"}, []string{"~!foo is: x86_64", "!foo is: x86_64"}},
		{"stage 3 splits at commas", []string{"~!dom0,~!xen is: x86_64", "!dom0,!xen is: x86_64"}, []string{"~!dom0-~!xen is: x86_64", "!dom0-!xen is: x86_64"}},
		{"one flavor", []string{"ssl is: x86_64"}, []string{"x86_64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fs []Flavor
			for _, s := range tt.flavors {
				fs = append(fs, MustParse(s))
			}
			got, err := ShortDescriptors(fs)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("ShortDescriptors = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShortDescriptorsErrors(t *testing.T) {
	_, err := ShortDescriptors([]Flavor{MustParse("is: x86 ppc"), MustParse("is: x86")})
	if !errors.Is(err, ErrIncompatibleArches) || !strings.Contains(err.Error(), `shortening flavor "is: ppc x86"`) {
		t.Errorf("incompatible arches: %v", err)
	}
	// Two flavors that differ only in an arch flag have the same strict use difference.
	_, err = ShortDescriptors([]Flavor{MustParse("is: x86(sse)"), MustParse("is: x86(mmx)")})
	if !errors.Is(err, ErrAmbiguousDescriptors) {
		t.Errorf("ambiguous descriptors: %v", err)
	}
}
