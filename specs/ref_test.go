package specs

import (
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		// luet-reference §1.4 (cmd/helpers/cli_test.go)
		{"foo", Ref{Name: "foo"}},
		{"cat/foo", Ref{Category: "cat", Name: "foo", Version: ">=0"}},
		{"cat/foo@1.1", Ref{Category: "cat", Name: "foo", Version: "1.1"}},
		{"cat/foo@>=1.1", Ref{Category: "cat", Name: "foo", Version: ">=1.1"}},
		{"=cat/foo-1.2", Ref{Category: "cat", Name: "foo", Version: "1.2"}},
		{">=cat/foo-1.2", Ref{Category: "cat", Name: "foo", Version: ">=1.2"}},
		{"<cat/foo-1.2", Ref{Category: "cat", Name: "foo", Version: "<1.2"}},
		{">cat/foo-1.2", Ref{Category: "cat", Name: "foo", Version: ">1.2"}},
		{"<=cat/foo-1.2", Ref{Category: "cat", Name: "foo", Version: "<=1.2"}},
		{"=cat/foo", Ref{Category: "cat", Name: "foo", Version: ">=0"}},
		{"=dev-libs/libsigc++-2-2.10.1+1", Ref{Category: "dev-libs", Name: "libsigc++-2", Version: "2.10.1+1"}},
		// more Gentoo shapes
		{"=sys-kernel/linux-sabayon-5.4.2", Ref{Category: "sys-kernel", Name: "linux-sabayon", Version: "5.4.2"}},
		{"=app/foo-1.2-r3", Ref{Category: "app", Name: "foo", Version: "1.2-r3"}},
		{"=app/foo-1.2_rc1", Ref{Category: "app", Name: "foo", Version: "1.2_rc1"}},
		{"=dev-libs/libsodium-1.0.29+pre2_p20191024.1", Ref{Category: "dev-libs", Name: "libsodium", Version: "1.0.29+pre2_p20191024.1"}},
		{"=app/python-3-1.0", Ref{Category: "app", Name: "python-3", Version: "1.0"}},
		// comma ranges are an AND
		{"cat/foo@>=1.0, <2", Ref{Category: "cat", Name: "foo", Version: ">=1.0, <2"}},
		{"foo@2.0", Ref{Name: "foo", Version: "2.0"}},
		{"  cat/foo  ", Ref{Category: "cat", Name: "foo", Version: ">=0"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRef(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("ParseRef(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRefErrors(t *testing.T) {
	tests := map[string]string{
		"":               "empty",
		"cat/foo@":       "nothing after '@'",
		"cat/foo@>=":     "without a version",
		"cat/":           "no package name",
		"a/b/c":          "no '/'",
		">=cat/foo":      "no version",
		"=foo-1.0":       "needs a category",
		"~cat/foo-1.0":   "category \"~cat\"",
		"=>cat/foo-1.0":  "unknown operator",
		"cat/foo@>=x.y":  "cannot be ordered",
		"cat/foo bar":    "space",
		"cat/foo@1.0,,2": "empty term",
	}
	for in, msg := range tests {
		t.Run(in, func(t *testing.T) {
			_, err := ParseRef(in)
			if err == nil {
				t.Fatalf("ParseRef(%q) succeeded", in)
			}
			if !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "parsing package reference") {
				t.Fatalf("ParseRef(%q) = %v, want it to say %q", in, err, msg)
			}
		})
	}
}

func TestRefString(t *testing.T) {
	for in, want := range map[string]string{"cat/foo": "cat/foo@>=0", "foo": "foo", "cat/foo@1.0": "cat/foo@1.0", "=cat/foo-1.2": "cat/foo@1.2"} {
		r, err := ParseRef(in)
		if err != nil {
			t.Fatal(err)
		}
		if r.String() != want {
			t.Errorf("%q.String() = %q, want %q", in, r.String(), want)
		}
		back, err := ParseRef(r.String())
		if err != nil || back.Category != r.Category || back.Name != r.Name || (back.Version != r.Version && r.Category != "") {
			t.Errorf("round trip of %q: %#v, %v", in, back, err)
		}
	}
}

// FuzzParseRef checks that parsing a reference never panics and that what it accepts prints
// back to a reference naming the same package.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"foo", "cat/foo", "cat/foo@1.1", "cat/foo@>=1.1", "=cat/foo-1.2", ">=cat/foo-1.2", "=cat/foo", "=dev-libs/libsigc++-2-2.10.1+1", "cat/foo@>=1,<2", "@", "=/-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		if r.Name == "" {
			t.Fatalf("ParseRef(%q) accepted an empty name", s)
		}
		back, err := ParseRef(r.String())
		if err != nil {
			t.Fatalf("ParseRef(%q) = %#v, but its String %q does not parse: %v", s, r, r.String(), err)
		}
		if back.Name != r.Name || back.Category != r.Category {
			t.Fatalf("round trip of %q: %#v became %#v", s, r, back)
		}
		if _, err := r.Constraint(); err != nil {
			t.Fatalf("ParseRef(%q) accepted version %q that does not parse: %v", s, r.Version, err)
		}
	})
}
