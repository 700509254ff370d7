package main

import (
	"strings"
	"testing"
)

// TestParseBuilders: --builder takes one address for every platform or PLATFORM=ADDR entries
// (repeated or comma-separated, any platform spelling); with none, $BUILDKIT_HOST, else
// buildkitd's default socket; bad entries are errors naming the entry and the fix.
func TestParseBuilders(t *testing.T) {
	env := func(v string) func(string) string { return func(string) string { return v } }
	got, err := parseBuilders([]string{"linux/amd64=tcp://a:1,aarch64-linux=tcp://b:2", " unix:///x.sock "}, env(""))
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, b := range got {
		p := ""
		if !b.platform.IsZero() {
			p = b.platform.String()
		}
		s = append(s, p+" "+b.addr)
	}
	if want := "linux/amd64 tcp://a:1|linux/arm64 tcp://b:2| unix:///x.sock"; strings.Join(s, "|") != want {
		t.Errorf("got %q", s)
	}
	for v, want := range map[string]string{"": defaultBuildKitAddr, "tcp://h:9": "tcp://h:9"} {
		got, err := parseBuilders(nil, env(v))
		if err != nil || len(got) != 1 || got[0].addr != want || !got[0].platform.IsZero() {
			t.Errorf("BUILDKIT_HOST=%q: %+v, %v", v, got, err)
		}
	}
	for in, msg := range map[string]string{
		"=tcp://a:1":     "=tcp://a:1",
		"localhost:1234": "needs a scheme",
		"linux/amd64=tcp://a:1,linux/amd64=tcp://b:1": "two builders for linux/amd64",
		"tcp://a:1,tcp://b:1":                         "two builders for every platform",
	} {
		if _, err := parseBuilders([]string{in}, env("")); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: error %v, want one saying %q", in, err, msg)
		}
	}
}
