package launcher

import (
	"errors"
	"testing"
)

func TestPlaceholders(t *testing.T) {
	var asked []int
	p := &placeholders{
		workenv: "/c/workenv/hello-0123", packageName: "hello", version: "1.2.3", pkg: "/p/hello.psp",
		slot: func(n int) (string, error) {
			asked = append(asked, n)
			if n > 2 {
				return "", ErrUnknownSlot
			}
			return "/c/workenv/hello-0123/slot" + string(rune('0'+n)), nil
		},
	}
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"{workenv}/bin/app", "/c/workenv/hello-0123/bin/app"},
		{"{package_name}-{version}", "hello-1.2.3"},
		{"{package}", "/p/hello.psp"},
		{"{slot:2}/x {slot:0}", "/c/workenv/hello-0123/slot2/x /c/workenv/hello-0123/slot0"},
		{"${HOME} {unknown} {", "${HOME} {unknown} {"},
		{"{{workenv}}", "{/c/workenv/hello-0123}"},
		{`{"json": {workenv}}`, `{"json": /c/workenv/hello-0123}`},
		{"}{workenv", "}{workenv"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := p.expand(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	if len(asked) != 2 || asked[0] != 2 || asked[1] != 0 {
		t.Fatalf("slot lookups = %v, want [2 0]", asked)
	}
	for _, bad := range []string{"{slot:9}", "{slot:x}", "{slot:-1}", "{slot:}"} {
		t.Run(bad, func(t *testing.T) {
			if _, err := p.expand(bad); !errors.Is(err, ErrUnknownSlot) {
				t.Fatalf("expand(%q) error = %v, want ErrUnknownSlot", bad, err)
			}
		})
	}
}
