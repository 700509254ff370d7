package delta

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/progress"
)

func TestOptionsRefuseBadValues(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
		msg  string
	}{
		{"relative build dir", WithBuildDir("luetbuild"), `setting build directory: path "luetbuild" is not absolute`},
		{"relative package dir", WithPackageDir("foo"), `setting package directory: path "foo" is not absolute`},
		{"relative tar root", WithTarRoot("usr"), `setting tar root: path "usr" is not absolute`},
		{"nil include", WithIncludes(regexp.MustCompile("a"), nil), "setting includes: nil pattern"},
		{"nil exclude", WithExcludes(nil), "setting excludes: nil pattern"},
		{"nil logger", WithLogger(nil), "setting logger: nil logger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromTar(context.Background(), bytes.NewReader(nil), tt.opt)
			if err == nil || err.Error() != tt.msg {
				t.Errorf("err = %v, want %q", err, tt.msg)
			}
		})
	}
}

func TestProgressAndLogger(t *testing.T) {
	lower, upper := baseLower(t), newLayout(t)
	upper.file("/a", "a", 0o644, 0, 0).file("/b", "b", 0o644, 0, 0)
	var updates []progress.Event
	var logs bytes.Buffer
	opts := []Option{
		WithProgress(func(u progress.Event) { updates = append(updates, u) }),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}
	tree, err := FromOverlay(context.Background(), Overlay{Upper: upper.root, Lowers: []string{lower.root}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	if err := tree.WriteTar(context.Background(), &bytes.Buffer{}, opts...); err != nil {
		t.Fatal(err)
	}
	want := []progress.Event{{Stage: StageScan, Done: 2, Total: 2}, {Stage: StageWrite, Done: 1, Total: 2}, {Stage: StageWrite, Done: 2, Total: 2}}
	if len(updates) != len(want) {
		t.Fatalf("updates = %+v, want %+v", updates, want)
	}
	for i := range want {
		if updates[i] != want[i] {
			t.Errorf("update %d = %+v, want %+v", i, updates[i], want[i])
		}
	}
	if !strings.Contains(logs.String(), "overlay delta") || !strings.Contains(logs.String(), "kept=2") {
		t.Errorf("debug log = %q", logs.String())
	}
}

func TestCancelled(t *testing.T) {
	lower, upper := baseLower(t), newLayout(t)
	upper.file("/a", "a", 0o644, 0, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := FromOverlay(ctx, Overlay{Upper: upper.root, Lowers: []string{lower.root}}); !errors.Is(err, context.Canceled) {
		t.Errorf("FromOverlay: err = %v, want context.Canceled", err)
	}
	if _, err := FromTar(ctx, bytes.NewReader(exportTar(t))); !errors.Is(err, context.Canceled) {
		t.Errorf("FromTar: err = %v, want context.Canceled", err)
	}
	if err := Apply(ctx, t.TempDir(), bytes.NewReader(exportTar(t))); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply: err = %v, want context.Canceled", err)
	}
}
