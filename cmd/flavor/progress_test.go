package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/bundle"
	"github.com/flavor-dev/flavor/lock"
	"github.com/flavor-dev/flavor/progress"
)

// One renderer shows a pack's resolution, builds and slots in each mode.
func TestRendererShowsPackAndBuildEvents(t *testing.T) {
	events := func(r *renderer) {
		r.resolved(progress.Event{Stage: lock.StageResolved, Platform: "linux/amd64", Message: "app", Package: "apps/hello@1.0", Flavor: "!shout"}, true)
		r.update(progress.Event{Stage: builder.StageStep, Package: "apps/hello@1.0", Platform: "linux/amd64", Done: 1, Total: 1, Message: "make"})
		r.pack(progress.Event{Platform: "linux/amd64", Path: "d.psp", Stage: bundle.StageSlot, Slot: "app", Done: 10})
		r.pack(progress.Event{Platform: "linux/amd64", Path: "d.psp", Stage: bundle.StageSlotDone, Slot: "app", Done: 2048})
		r.close()
	}
	var plain bytes.Buffer
	events(newRenderer(progressPlain, &plain))
	for _, want := range []string{"[linux/amd64] app → apps/hello@1.0 (!shout, resolved)\n", "step 1/1: make\n", "linux/amd64: app: 2.0 KiB stored\n"} {
		if !strings.Contains(plain.String(), want) {
			t.Errorf("plain output lacks %q:\n%s", want, plain.String())
		}
	}
	var js bytes.Buffer
	events(newRenderer(progressJSON, &js))
	lines := strings.Split(strings.TrimSpace(js.String()), "\n")
	if len(lines) != 3 { // the build step and both slot events; resolution is a note, not an event
		t.Fatalf("json lines %q", lines)
	}
	var slot map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &slot); err != nil || slot["stage"] != "slot-done" || slot["path"] != "d.psp" {
		t.Fatalf("slot event %s: %v", lines[2], err)
	}
	var tty bytes.Buffer
	events(newRenderer(progressTTY, &tty))
	if !strings.Contains(tty.String(), "linux/amd64: app: 2.0 KiB stored") || !strings.Contains(tty.String(), "app → apps/hello@1.0") {
		t.Errorf("tty output lacks the slot or the resolution:\n%q", tty.String())
	}
}
