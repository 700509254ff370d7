package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestFlavorsScoreText(t *testing.T) {
	stdout, stderr, code := runApp(t, "flavors", "score",
		"--system", "~!dom0,~!vmware,~!xen is: x86(i486,i586,i686) x86_64",
		"~!dom0, ~vmware, !xen is: x86 x86_64", "xen is: x86_64", "is: ppc", "")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "3             ~!dom0,~vmware,!xen is: x86 x86_64\n" +
		"-1            xen is: x86_64\n" +
		"incompatible  is: ppc\n" +
		"0             \n"
	if stdout != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
}

func TestFlavorsScoreJSON(t *testing.T) {
	score := []string{"flavors", "score", "--system", "ssl is: x86_64", "ssl is: x86_64", "!ssl is: x86_64"}
	for _, tt := range []struct {
		name string
		args []string
		env  bool
	}{
		{"global flag", append([]string{"--output-format", "json"}, score...), false},
		{"FLAVOR_OUTPUT_FORMAT", score, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env {
				t.Setenv("FLAVOR_OUTPUT_FORMAT", "json")
			}
			stdout, stderr, code := runApp(t, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got struct {
				System string `json:"system"`
				Troves []struct {
					Trove      string `json:"trove"`
					Compatible bool   `json:"compatible"`
					Score      *int   `json:"score"`
				} `json:"troves"`
			}
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, stdout)
			}
			if got.System != "ssl is: x86_64" || len(got.Troves) != 2 {
				t.Fatalf("got %+v", got)
			}
			if !got.Troves[0].Compatible || got.Troves[0].Score == nil || *got.Troves[0].Score != 3 {
				t.Errorf("first trove: %+v, want compatible with score 3", got.Troves[0])
			}
			if got.Troves[1].Compatible || got.Troves[1].Score != nil || !strings.Contains(stdout, `"score": null`) {
				t.Errorf("second trove: %+v, want incompatible with a null score", got.Troves[1])
			}
		})
	}
}

func TestFlavorsFormat(t *testing.T) {
	stdout, stderr, code := runApp(t, "flavors", "format", "~!dom0, ~vmware, !xen is: x86 x86_64", "is: x86(sse,mmx) ppc", "use: gnome is:")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "~!dom0,~vmware,!xen is: x86 x86_64\nis: ppc x86(mmx,sse)\ngnome\n"; stdout != want {
		t.Fatalf("stdout %q, want %q", stdout, want)
	}

	stdout, _, code = runApp(t, "--output-format", "json", "flavors", "format", "gtk , ssl")
	var got []struct{ Input, Flavor string }
	if code != 0 || json.Unmarshal([]byte(stdout), &got) != nil || len(got) != 1 || got[0].Input != "gtk , ssl" || got[0].Flavor != "gtk,ssl" {
		t.Fatalf("json format: exit %d, %q", code, stdout)
	}
}

func TestFlavorsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad trove", []string{"flavors", "score", "--system", "ssl", "ssl", "is: x86("}, `flavors score: trove 2: parsing flavor "is: x86(": column 9`},
		{"bad system", []string{"flavors", "score", "--system", "ssl,,", "ssl"}, `flavors score: --system: parsing flavor "ssl,,": column 5`},
		{"missing system", []string{"flavors", "score", "ssl"}, `"system"`},
		{"no troves", []string{"flavors", "score", "--system", "ssl"}, "give at least one trove flavor"},
		{"bad format input", []string{"flavors", "format", "a b"}, `flavors format: flavor 1: parsing flavor "a b"`},
		{"no flavors", []string{"flavors", "format"}, "give at least one flavor"},
		{"bad output format", []string{"--output-format", "yaml", "flavors", "format", "ssl"}, `--output-format "yaml": want text or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runApp(t, tt.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (stdout %q)", code, stdout)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Fatalf("stderr %q does not contain %q", stderr, tt.want)
			}
		})
	}
}
