package specs

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/platform"
)

func TestCandidates(t *testing.T) {
	tests := []struct {
		name string
		def  string
		want []map[string]bool
	}{
		{"no flags", defA, []map[string]bool{{}}},
		{
			"every combination, defaults first",
			defA + "flags: {ssl: true, debug: false}\n",
			[]map[string]bool{
				{"debug": false, "ssl": true},
				{"debug": false, "ssl": false},
				{"debug": true, "ssl": false},
				{"debug": true, "ssl": true},
			},
		},
		{
			"the listed variants, unnamed flags at their defaults",
			defA + "flags: {ssl: true, debug: false}\nvariants: [\"ssl\", \"!ssl,debug\"]\n",
			[]map[string]bool{{"debug": false, "ssl": true}, {"debug": true, "ssl": false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := Load(context.Background(), []string{writeTree(t, map[string]string{"a/definition.yaml": tt.def})})
			if err != nil {
				t.Fatal(err)
			}
			p := mustLookup(t, tr, "test/a")
			if got := p.Candidates(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("candidates %v, want %v", got, tt.want)
			}
			p.Candidates()[0]["x"] = true // fresh maps every call
			if got := p.Candidates(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Candidates shares its maps: %v", got)
			}
		})
	}
}

// TestVariantFlavorMatchesLoad: what VariantFlavor says an artifact's flavor is, and what
// VariantRequest asks for, is what a tree loaded with that request gives the package — and
// only that package.
func TestVariantFlavorMatchesLoad(t *testing.T) {
	files := map[string]string{
		"a/definition.yaml": defA + "flags: {ssl: true, debug: false}\n",
		"b/definition.yaml": "name: b\ncategory: test\nversion: \"1\"\nflags: {ssl: true, debug: false}\n",
	}
	root := writeTree(t, files)
	amd := platform.Platform{OS: "linux", Arch: "amd64"}
	base, err := Load(context.Background(), []string{root}, WithPlatform(amd))
	if err != nil {
		t.Fatal(err)
	}
	a := mustLookup(t, base, "test/a")
	for _, c := range a.Candidates() {
		req, err := a.VariantRequest(c)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := Load(context.Background(), []string{root}, WithPlatform(amd), WithFlavor(req))
		if err != nil {
			t.Fatalf("loading with %q: %v", req, err)
		}
		got := mustLookup(t, tr, "test/a")
		if got.FlavorString() != a.VariantFlavor(c) {
			t.Errorf("request %q: loaded flavor %q, VariantFlavor %q", req, got.FlavorString(), a.VariantFlavor(c))
		}
		if b := mustLookup(t, tr, "test/b"); b.FlavorString() != "~!debug,ssl is: x86_64" {
			t.Errorf("request %q changed test/b to %q", req, b.FlavorString())
		}
	}
	if f := a.VariantFlavor(map[string]bool{"ssl": false, "debug": true}); f != "debug,~!ssl is: x86_64" {
		t.Errorf("VariantFlavor = %q", f)
	}
	if _, err := a.VariantRequest(map[string]bool{"nope": true}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("undeclared flag: %v", err)
	}
}

func TestVariantErrors(t *testing.T) {
	tests := []struct {
		name, def string
		line      int
		msg       string
	}{
		{"undeclared flag", defA + "flags: {ssl: true}\nvariants: [\"debug\"]\n", 1, "does not declare (declared: ssl)"},
		{"duplicate", defA + "flags: {ssl: true}\nvariants: [\"ssl\", \"~ssl\"]\n", 1, "are the same variant"},
		{"architecture", defA + "flags: {ssl: true}\nvariants:\n- \"ssl is: x86_64\"\n", 6, "only flags belong"},
		{"package prefix", defA + "flags: {ssl: true}\nvariants:\n- \"a.ssl\"\n", 6, "without a package prefix"},
		{"syntax", defA + "flags: {ssl: true}\nvariants:\n- \"ssl,,\"\n", 6, `variant "ssl,,"`},
		{"too many flags", defA + "flags: {a: true, b: true, c: true, d: true, e: true, f: true, g: true, h: true, i: true, j: true, k: true, l: true, m: true}\n", 1, "under `variants:`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadErr(t, writeTree(t, map[string]string{"a/definition.yaml": tt.def}))
			var se *SpecError
			if !errors.As(err, &se) || !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("error %v; want a *SpecError", err)
			}
			if se.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error at line %d: %v; want line %d saying %q", se.Line, err, tt.line, tt.msg)
			}
		})
	}
}
