package manifest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// specsOfGoldenLock are the current spec digests matching testdata/flavor.lock.
func specsOfGoldenLock() map[SpecRef]string {
	return map[SpecRef]string{
		{"base/busybox", "1.36.1", "linux/amd64"}: "sha256:1111111111111111111111111111111111111111111111111111111111111111",
		{"base/busybox", "1.36.1", "linux/arm64"}: "sha256:1111111111111111111111111111111111111111111111111111111111111111",
		{"apps/hello", "1.2.0", "linux/amd64"}:    "sha256:8888888888888888888888888888888888888888888888888888888888888888",
	}
}

func statusLines(ss []EntryStatus) string {
	var lines []string
	for _, s := range ss {
		line := fmt.Sprintf("%s %s %s", s.InstallID, s.System, s.State)
		if len(s.Changes) > 0 {
			line += ": " + strings.Join(s.Changes, "; ")
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func TestCheckLock(t *testing.T) {
	src, err := os.ReadFile("testdata/manifest-md.toml")
	if err != nil {
		t.Fatal(err)
	}
	lock, err := ReadLock(context.Background(), "testdata/flavor.lock")
	if err != nil {
		t.Fatal(err)
	}
	const allValid = "busybox linux/amd64 valid\nbusybox linux/arm64 valid\nhello linux/amd64 valid"
	tests := []struct {
		name     string
		edit     func(string) string
		specs    func(map[SpecRef]string)
		systems  []string
		want     string
		verified string // VerifyLock's error, "" for none
	}{
		{name: "unchanged", want: allValid},
		{
			name: "version selector",
			edit: func(s string) string { return strings.Replace(s, `">=1.0, <2"`, `">=2"`, 1) },
			want: "busybox linux/amd64 valid\nbusybox linux/arm64 valid\n" +
				`hello linux/amd64 changed: version changed from ">=1.0, <2" to ">=2"`,
			verified: `flavor.lock entry "hello" for linux/amd64 is stale: version changed from ">=1.0, <2" to ">=2"; run "flavor lock --update hello"`,
		},
		{
			name: "pkg-path",
			edit: func(s string) string { return strings.Replace(s, `"apps/hello"`, `"apps/hello2"`, 1) },
			want: "busybox linux/amd64 valid\nbusybox linux/arm64 valid\n" +
				`hello linux/amd64 changed: pkg-path changed from "apps/hello" to "apps/hello2"`,
		},
		{
			name: "pkg-group",
			edit: func(s string) string { return strings.Replace(s, `hello.pkg-group = "app"`, ``, 1) },
			want: "busybox linux/amd64 valid\nbusybox linux/arm64 valid\n" +
				`hello linux/amd64 changed: pkg-group changed from "app" to "toplevel"`,
		},
		{
			name: "entry flavor",
			edit: func(s string) string { return strings.Replace(s, `hello.flavor = "ssl"`, `hello.flavor = "!ssl"`, 1) },
			want: "busybox linux/amd64 valid\nbusybox linux/arm64 valid\n" +
				`hello linux/amd64 changed: flavor changed from "~!debug,ssl is: x86_64" to "~!debug,!ssl is: x86_64"`,
		},
		{
			name: "entry flavor spelled differently is no change",
			edit: func(s string) string {
				return strings.Replace(s, `hello.flavor = "ssl"`, `hello.flavor = " use: ssl "`, 1)
			},
			want: allValid,
		},
		{
			name: "options flavor reaches every entry",
			edit: func(s string) string { return strings.Replace(s, `flavor = "~ssl,~!debug"`, `flavor = "~ssl"`, 1) },
			want: `busybox linux/amd64 changed: flavor changed from "~!debug,~ssl is: x86_64" to "~ssl is: x86_64"` + "\n" +
				`busybox linux/arm64 changed: flavor changed from "~!debug,~ssl is: aarch64" to "~ssl is: aarch64"` + "\n" +
				`hello linux/amd64 changed: flavor changed from "~!debug,ssl is: x86_64" to "ssl is: x86_64"`,
		},
		{
			name:  "spec changed",
			specs: func(m map[SpecRef]string) { m[SpecRef{"apps/hello", "1.2.0", "linux/amd64"}] = "sha256:new" },
			want: "busybox linux/amd64 valid\nbusybox linux/arm64 valid\n" +
				`hello linux/amd64 changed: spec apps/hello 1.2.0 changed (now sha256:new, locked sha256:8888888888888888888888888888888888888888888888888888888888888888)`,
		},
		{
			name:     "spec gone from the trees, on one system",
			specs:    func(m map[SpecRef]string) { delete(m, SpecRef{"base/busybox", "1.36.1", "linux/arm64"}) },
			want:     "busybox linux/amd64 valid\nbusybox linux/arm64 changed: spec base/busybox 1.36.1 is no longer in the trees\nhello linux/amd64 valid",
			verified: `flavor.lock entry "busybox" for linux/arm64 is stale: spec base/busybox 1.36.1 is no longer in the trees; run "flavor lock --update busybox"`,
		},
		{
			name: "a new system for an entry",
			edit: func(s string) string {
				return strings.Replace(s, `hello.systems = ["linux/amd64"]`, `hello.systems = ["linux/amd64", "aarch64-linux"]`, 1)
			},
			want:     allValid + "\nhello linux/arm64 missing",
			verified: `flavor.lock has no entry "hello" for linux/arm64; run "flavor lock --update hello"`,
		},
		{
			name: "a system dropped leaves an orphan, the rest valid",
			edit: func(s string) string {
				return strings.Replace(s, `busybox.pkg-path = "base/busybox"`, "busybox.pkg-path = \"base/busybox\"\nbusybox.systems = [\"linux/amd64\"]", 1)
			},
			want: "busybox linux/amd64 valid\nhello linux/amd64 valid\nbusybox linux/arm64 orphaned",
		},
		{
			name: "an entry removed",
			edit: func(s string) string { return strings.Replace(s, `busybox.pkg-path = "base/busybox"`, ``, 1) },
			want: "hello linux/amd64 valid\nbusybox linux/amd64 orphaned\nbusybox linux/arm64 orphaned",
		},
		{
			name: "changes outside install entries do not matter",
			edit: func(s string) string {
				return strings.NewReplacer(`command = "{workenv}/bin/hello"`, `command = "{workenv}/bin/hi"`, `GREETING = "hello"`, `GREETING = "hi"`).Replace(s)
			},
			want: allValid,
		},
		{
			name: "no options.systems: the caller's systems",
			edit: func(s string) string {
				return strings.NewReplacer(`systems = ["linux/amd64", "linux/arm64"]`, ``, `hello.systems = ["linux/amd64"]`, ``).Replace(s)
			},
			systems: []string{"x86_64-linux"},
			want:    "busybox linux/amd64 valid\nhello linux/amd64 valid\nbusybox linux/arm64 orphaned",
		},
		{
			name: "several changes at once",
			edit: func(s string) string {
				return strings.NewReplacer(`">=1.0, <2"`, `"1.3"`, `hello.pkg-group = "app"`, `hello.pkg-group = "web"`).Replace(s)
			},
			want: "busybox linux/amd64 valid\nbusybox linux/arm64 valid\n" +
				`hello linux/amd64 changed: version changed from ">=1.0, <2" to "1.3"; pkg-group changed from "app" to "web"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := string(src)
			if tt.edit != nil {
				doc = tt.edit(doc)
			}
			m, err := Parse("flavor.toml", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			specs := specsOfGoldenLock()
			if tt.specs != nil {
				tt.specs(specs)
			}
			cur := Current{Systems: tt.systems, Specs: specs}
			ss, err := CheckLock(m, lock, cur)
			if err != nil {
				t.Fatal(err)
			}
			if got := statusLines(ss); got != tt.want {
				t.Fatalf("statuses:\n%s\nwant:\n%s", got, tt.want)
			}
			err = VerifyLock(m, lock, cur)
			if tt.verified == "" {
				if strings.Contains(tt.want, "changed") || strings.Contains(tt.want, "missing") {
					if !errors.Is(err, ErrStaleLock) {
						t.Fatalf("VerifyLock = %v, want a stale lock error", err)
					}
					var se *StaleError
					if !errors.As(err, &se) || se.InstallID == "" || se.System == "" {
						t.Fatalf("VerifyLock error %v does not name the entry", err)
					}
				} else if err != nil {
					t.Fatalf("VerifyLock = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.verified || !errors.Is(err, ErrStaleLock) {
				t.Fatalf("VerifyLock = %v\nwant %s", err, tt.verified)
			}
		})
	}
}

func TestCheckWithoutLock(t *testing.T) {
	m := load(t, "testdata/manifest-md.toml")
	if err := VerifyLock(m, nil, Current{}); !errors.Is(err, ErrNoLock) || !strings.Contains(err.Error(), `run "flavor lock"`) {
		t.Fatalf("VerifyLock(nil) = %v", err)
	}
	ss, err := CheckLock(m, nil, Current{})
	if err != nil {
		t.Fatal(err)
	}
	if got := statusLines(ss); got != "busybox linux/amd64 missing\nbusybox linux/arm64 missing\nhello linux/amd64 missing" {
		t.Fatalf("statuses without a lock:\n%s", got)
	}
	if _, err := CheckLock(mustParse(t, minimal+"[install]\na.pkg-path = \"x/a\"\n"), nil, Current{Systems: []string{"plan9/amd64"}}); err == nil {
		t.Fatal("CheckLock accepted a system no launcher targets")
	}
}

func TestEntryStateString(t *testing.T) {
	for s, want := range map[EntryState]string{EntryValid: "valid", EntryChanged: "changed", EntryMissing: "missing", EntryOrphaned: "orphaned", 9: "EntryState(9)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", int(s), s.String())
		}
	}
	if (EntryStatus{State: EntryOrphaned}).Err() != nil || (EntryStatus{State: EntryValid}).Err() != nil {
		t.Error("valid or orphaned entries report an error")
	}
}

func mustParse(t *testing.T, doc string) *Manifest {
	t.Helper()
	m, err := Parse("flavor.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
