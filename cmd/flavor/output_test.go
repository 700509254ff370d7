package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBytesize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := bytesize(n); got != want {
			t.Errorf("bytesize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestGlobalFlagsAfterTheCommand(t *testing.T) {
	psp := packExample(t)
	stdout, stderr, code := runApp(t, "verify", psp, "--output-format", "json", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res []verifyResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || len(res) != 1 || !res[0].OK {
		t.Fatalf("--output-format after the command was not honoured: %v\n%s", err, stdout)
	}
	// A command flag of the same name wins: keygen's --output is not --output-format.
	got := strings.Join(interspersed(New(), []string{"flavor", "keygen", "--output", "k", "--output-format", "json"}), " ")
	if got != "flavor --output-format json keygen --output k" {
		t.Fatalf("interspersed: %s", got)
	}
}

func TestOutputFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--output-format", "yaml", "clean", "--dry-run"}, `--output-format "yaml": want text or json`},
		{[]string{"--progress", "fancy", "clean", "--dry-run"}, `--progress "fancy"`},
	} {
		_, stderr, code := runApp(t, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, stderr)
		}
	}
}

func TestOutputFormatFromTheEnvironment(t *testing.T) {
	t.Setenv("FLAVOR_OUTPUT_FORMAT", "json")
	stdout, stderr, code := runApp(t, "keygen", "-o", t.TempDir())
	var res keygenResult
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || len(res.PublicHex) != 64 {
		t.Fatalf("exit %d, stdout %q, stderr %q: FLAVOR_OUTPUT_FORMAT=json was not honoured", code, stdout, stderr)
	}
}
