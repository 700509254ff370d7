package flavor

import (
	"fmt"
	"testing"
)

// The resolver scores every variant of every package against the system flavor. These
// benchmarks compare scoring parsed flavors (what callers should do: parse once, keep the
// Flavor) with the obvious alternative of keeping flavor strings and parsing them per comparison.
// BenchmarkChooseReference runs Choose as trovesource.py spells it (strong flavors matched against
// preference flavors) next to Choose's arch-membership shortcut.
// Run: go test -run '^$' -bench . ./specs/flavor/

var (
	benchSystem = "~!dom0,~!domU,~!vmware,~!xen,~ssl,~gtk,~!debug is: x86(i486,i586,i686,sse,sse2) x86_64"
	benchTroves = []string{
		"dom0,~!domU,~!vmware,xen is: x86 x86_64",
		"~!dom0,domU,~!vmware,xen is: x86 x86_64",
		"~!dom0,~!domU,vmware,~!xen is: x86 x86_64",
		"~!dom0,~!domU,~!vmware,~!xen,ssl is: x86_64",
		"~!debug,~gtk,ssl is: x86(i686)",
	}
	benchSink int
)

func BenchmarkScoreParsed(b *testing.B) {
	sys := MustParse(benchSystem)
	troves := parseAll(benchTroves...)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, tr := range troves {
			s, _ := sys.Score(tr)
			benchSink += s
		}
	}
}

func BenchmarkScoreFromStrings(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sys := MustParse(benchSystem)
		for _, s := range benchTroves {
			sc, _ := sys.Score(MustParse(s))
			benchSink += sc
		}
	}
}

func BenchmarkChoose(b *testing.B)          { benchChoose(b, Choose) }
func BenchmarkChooseReference(b *testing.B) { benchChoose(b, chooseReference) }

func benchChoose(b *testing.B, choose func([]Flavor, []Flavor) (Choice, bool)) {
	for _, n := range []int{5, 50} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			systems := parseAll(benchSystem)
			var candidates []Flavor
			for len(candidates) < n {
				candidates = append(candidates, parseAll(benchTroves...)...)
			}
			candidates = candidates[:n]
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c, _ := choose(systems, candidates)
				benchSink += c.Score
			}
		})
	}
}
