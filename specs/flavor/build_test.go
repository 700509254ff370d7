package flavor

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestBuildArtifact(t *testing.T) {
	declared := map[string]bool{"ssl": true, "debug": false}
	tests := []struct {
		name      string
		declared  map[string]bool
		requested string
		platform  string
		want      string
		flags     map[string]bool
	}{
		{"defaults", declared, "", "linux/amd64", "~!debug,ssl is: x86_64", map[string]bool{"ssl": true, "debug": false}},
		{"requested flips both", declared, "!ssl,debug", "linux/amd64", "debug,~!ssl is: x86_64", map[string]bool{"ssl": false, "debug": true}},
		{"weak senses count too", declared, "~!ssl,~debug", "linux/arm64", "debug,~!ssl is: aarch64", map[string]bool{"ssl": false, "debug": true}},
		{"undeclared flags and arches are ignored", declared, "gtk,~!ssl is: x86", "linux/arm/v7", "~!debug,~!ssl is: arm", map[string]bool{"ssl": false, "debug": false}},
		{"no flags", nil, "ssl", "linux/386", "is: x86", map[string]bool{}},
		{"local flag", map[string]bool{"kernel.smp": true}, "", "darwin/arm64", "kernel.smp is: aarch64", map[string]bool{"kernel.smp": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := BuildArtifact(tt.declared, MustParse(tt.requested), tt.platform)
			if err != nil {
				t.Fatal(err)
			}
			if a.Flavor.String() != tt.want {
				t.Fatalf("Flavor = %q, want %q", a.Flavor, tt.want)
			}
			if len(a.Flags) != len(tt.flags) {
				t.Fatalf("Flags = %v, want %v", a.Flags, tt.flags)
			}
			for k, v := range tt.flags {
				if got, ok := a.Flags[k]; !ok || got != v {
					t.Fatalf("Flags = %v, want %v", a.Flags, tt.flags)
				}
			}
		})
	}
}

func TestBuildArtifactScoring(t *testing.T) {
	// A flag that is on is required: systems must mention it. A flag that is off is prefer-not:
	// systems that say nothing about it still take the artifact.
	a, err := BuildArtifact(map[string]bool{"ssl": true, "debug": false}, Flavor{}, "linux/amd64")
	if err != nil {
		t.Fatal(err)
	}
	for system, want := range map[string]string{
		"~ssl is: x86_64":        "3", // ssl +1, debug +1 (not mentioned), arch +1
		"ssl,!debug is: x86_64":  "4",
		"is: x86_64":             "False",
		"~ssl,debug is: x86_64":  "False",
		"~ssl,~debug is: x86_64": "1",
	} {
		s, ok := MustParse(system).Score(a.Flavor)
		got := "False"
		if ok {
			got = fmt.Sprint(s)
		}
		if got != want {
			t.Errorf("system %q scores %q: %s, want %s", system, a.Flavor, got, want)
		}
	}
}

func TestBuildArtifactErrors(t *testing.T) {
	if _, err := BuildArtifact(nil, Flavor{}, "linux/mips"); !errors.Is(err, ErrUnsupportedPlatform) || !strings.Contains(err.Error(), "working out the flavor for linux/mips") {
		t.Errorf("bad platform: %v", err)
	}
	for _, bad := range []string{"", "a b", "a.b.c", ".a", "a.", "~ssl", "ssl!"} {
		_, err := BuildArtifact(map[string]bool{bad: true}, Flavor{}, "linux/amd64")
		if err == nil || !strings.Contains(err.Error(), "flag name") {
			t.Errorf("flag name %q: %v", bad, err)
		}
	}
}
