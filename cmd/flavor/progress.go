package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/bundle"
	"github.com/flavor-dev/flavor/progress"
)

// progressMode is how build progress is shown on the error stream.
type progressMode int

const (
	progressNone  progressMode = iota // --quiet
	progressPlain                     // one prefixed line per event (not a terminal, CI logs)
	progressTTY                       // live bars with the output scrolling above them
	progressJSON                      // one JSON object per event
)

// parseProgress reads --progress; auto picks tty when w is a terminal and plain otherwise.
func parseProgress(s string, w io.Writer) (progressMode, error) {
	switch s {
	case "plain":
		return progressPlain, nil
	case "tty":
		return progressTTY, nil
	case "json":
		return progressJSON, nil
	case "none":
		return progressNone, nil
	case "auto", "":
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return progressTTY, nil
		}
		return progressPlain, nil
	}
	return 0, fmt.Errorf("--progress %q: want auto, plain, tty, json or none", s)
}

// renderer shows a command's progress in one output mode: the build events (update), the
// resolution of [install] entries (resolved) and the slots of the packages written (pack). One
// renderer serves a whole command, so a pack's builds and its packaging share one live view.
type renderer struct {
	mode progressMode
	w    io.Writer
	mu   sync.Mutex // pack events may come from several goroutines; builds call one at a time

	// tty mode
	p       *mpb.Progress
	total   *mpb.Bar
	planned int64
	bars    map[string]*pkgBar
}

// pkgBar is the live line of one package being built.
type pkgBar struct {
	bar    *mpb.Bar
	mu     sync.Mutex
	status string
}

func (b *pkgBar) set(s string) {
	b.mu.Lock()
	b.status = s
	b.mu.Unlock()
}

func (b *pkgBar) get() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status
}

func newRenderer(mode progressMode, w io.Writer) *renderer {
	r := &renderer{mode: mode, w: w, bars: map[string]*pkgBar{}}
	if mode == progressTTY {
		r.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(100), mpb.WithAutoRefresh())
	}
	return r
}

// close stops the live view, leaving its last frame. More calls do nothing.
func (r *renderer) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.p == nil {
		return
	}
	for _, b := range r.bars {
		b.bar.Abort(true)
	}
	if r.total != nil && !r.total.Completed() {
		r.total.Abort(false)
	}
	r.p.Wait()
	r.p = nil
}

// update is the builder.WithProgress callback.
func (r *renderer) update(u progress.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.mode {
	case progressPlain:
		r.plain(u)
	case progressJSON:
		r.json(u)
	case progressTTY:
		r.tty(u)
	}
}

type jsonUpdate struct {
	Stage    string `json:"stage"`
	Package  string `json:"package,omitempty"`
	Platform string `json:"platform,omitempty"`
	Done     int64  `json:"done,omitempty"`
	Total    int64  `json:"total,omitempty"`
	Line     string `json:"line,omitempty"`
}

func (r *renderer) json(u progress.Event) {
	b, _ := json.Marshal(jsonUpdate{Stage: string(u.Stage), Package: u.Package, Platform: u.Platform, Done: u.Done, Total: u.Total, Line: u.Message})
	fmt.Fprintf(r.w, "%s\n", b)
}

// describeUpdate says in words what an update means, or "" for updates not worth a line.
func describeUpdate(u progress.Event) string {
	switch u.Stage {
	case builder.StagePlan:
		if u.Total == 1 {
			return "1 package to build or fetch"
		}
		return fmt.Sprintf("%d packages to build or fetch", u.Total)
	case builder.StageCached:
		return "cached"
	case builder.StagePulled:
		return "pulled " + u.Message
	case builder.StageBuild:
		if u.Message != "" {
			return "building " + u.Message // "on buildkitd at ADDR"
		}
		return "building"
	case builder.StageImage:
		return u.Message
	case builder.StagePrelude, builder.StageStep:
		return fmt.Sprintf("%s %d/%d: %s", u.Stage, u.Done, u.Total, u.Message)
	case builder.StageExtract:
		return "collecting what the steps changed"
	case builder.StagePushed:
		return "pushed " + u.Message
	case builder.StageDone:
		return fmt.Sprintf("done (%s), %d/%d", u.Message, u.Done, u.Total)
	case builder.StageFailed:
		return "failed"
	case builder.StageArtifact:
		return ""
	}
	return ""
}

func prefix(u progress.Event) string {
	if u.Package == "" {
		return "[" + u.Platform + "]"
	}
	return "[" + u.Package + " " + u.Platform + "]"
}

func (r *renderer) plain(u progress.Event) {
	if u.Stage == builder.StageOutput {
		fmt.Fprintf(r.w, "%s | %s\n", prefix(u), u.Message)
		return
	}
	if s := describeUpdate(u); s != "" {
		fmt.Fprintf(r.w, "%s %s\n", prefix(u), s)
	}
}

func (r *renderer) tty(u progress.Event) {
	if r.p == nil {
		return
	}
	switch u.Stage {
	case builder.StagePlan:
		r.planned += u.Total
		if r.total == nil {
			r.total = r.p.New(r.planned, mpb.BarStyle(), mpb.BarPriority(1<<30),
				mpb.PrependDecorators(decor.Name("packages", decor.WC{W: 10, C: decor.DindentRight})),
				mpb.AppendDecorators(decor.CountersNoUnit("%d/%d")))
		} else {
			r.total.SetTotal(r.planned, false)
		}
		return
	case builder.StageOutput:
		fmt.Fprintf(r.p, "%s | %s\n", prefix(u), u.Message)
		return
	case builder.StageDone, builder.StageFailed:
		if r.total != nil {
			r.total.Increment()
		}
		if b := r.bars[prefix(u)]; b != nil {
			b.bar.Abort(true)
			delete(r.bars, prefix(u))
		}
		fmt.Fprintf(r.p, "%s %s\n", prefix(u), describeUpdate(u))
		return
	}
	s := describeUpdate(u)
	if s == "" {
		return
	}
	r.bar(prefix(u)).set(s)
}

// resolved shows how an [install] entry was resolved (lock.StageResolved or StageLocked; plain
// and tty modes) when notes is set.
func (r *renderer) resolved(u progress.Event, notes bool) {
	if !notes || (r.mode != progressPlain && r.mode != progressTTY) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.out(), "[%s] %s → %s (%s, %s)\n", u.Platform, u.Message, u.Package, u.Flavor, u.Stage)
}

// pack is the bundle.WithProgress callback: each slot as it is encoded, and stored.
func (r *renderer) pack(u progress.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.mode {
	case progressJSON:
		writeJSONLine(r.w, map[string]any{"platform": u.Platform, "path": u.Path, "stage": u.Stage, "slot": u.Slot, "done": u.Done, "total": u.Total})
	case progressPlain:
		if u.Stage == bundle.StageSlotDone {
			fmt.Fprintf(r.w, "%s: %s: %s stored\n", u.Platform, u.Slot, bytesize(u.Done))
		}
	case progressTTY:
		if r.p == nil {
			return
		}
		name := u.Platform + ": " + u.Slot
		switch u.Stage {
		case bundle.StageSlot:
			r.bar(name).set(bytesize(u.Done))
		case bundle.StageSlotDone:
			if b := r.bars[name]; b != nil {
				b.bar.Abort(true)
				delete(r.bars, name)
			}
			fmt.Fprintf(r.p, "%s: %s stored\n", name, bytesize(u.Done))
		}
	}
}

// out is where a line goes: above the live bars in tty mode, else the error stream.
func (r *renderer) out() io.Writer {
	if r.p != nil {
		return r.p
	}
	return r.w
}

// bar is the live line named name, made on first use.
func (r *renderer) bar(name string) *pkgBar {
	b := r.bars[name]
	if b == nil {
		b = &pkgBar{}
		b.bar = r.p.New(0, mpb.SpinnerStyle(),
			mpb.PrependDecorators(decor.Name(name+" ", decor.WC{C: decor.DindentRight})),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return b.get() })))
		r.bars[name] = b
	}
	return b
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err == nil {
		w.Write(append(b, '\n'))
	}
}
