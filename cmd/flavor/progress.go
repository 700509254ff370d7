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

// renderer shows builder.Update events. The build library calls update from one goroutine at a
// time.
type renderer struct {
	mode progressMode
	w    io.Writer

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

// close stops the live view, leaving its last frame.
func (r *renderer) close() {
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
func (r *renderer) update(u builder.Update) {
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
	Done     int    `json:"done,omitempty"`
	Total    int    `json:"total,omitempty"`
	Line     string `json:"line,omitempty"`
}

func (r *renderer) json(u builder.Update) {
	b, _ := json.Marshal(jsonUpdate{Stage: string(u.Stage), Package: u.Package, Platform: u.Platform, Done: u.Done, Total: u.Total, Line: u.Line})
	fmt.Fprintf(r.w, "%s\n", b)
}

// describeUpdate says in words what an update means, or "" for updates not worth a line.
func describeUpdate(u builder.Update) string {
	switch u.Stage {
	case builder.StagePlan:
		if u.Total == 1 {
			return "1 package to build or fetch"
		}
		return fmt.Sprintf("%d packages to build or fetch", u.Total)
	case builder.StageCached:
		return "cached"
	case builder.StagePulled:
		return "pulled " + u.Line
	case builder.StageBuild:
		return "building"
	case builder.StageImage:
		return u.Line
	case builder.StagePrelude, builder.StageStep:
		return fmt.Sprintf("%s %d/%d: %s", u.Stage, u.Done, u.Total, u.Line)
	case builder.StageExtract:
		return "collecting what the steps changed"
	case builder.StagePushed:
		return "pushed " + u.Line
	case builder.StageDone:
		return fmt.Sprintf("done (%s), %d/%d", u.Line, u.Done, u.Total)
	case builder.StageFailed:
		return "failed"
	case builder.StageArtifact:
		return ""
	}
	return ""
}

func prefix(u builder.Update) string {
	if u.Package == "" {
		return "[" + u.Platform + "]"
	}
	return "[" + u.Package + " " + u.Platform + "]"
}

func (r *renderer) plain(u builder.Update) {
	if u.Stage == builder.StageOutput {
		fmt.Fprintf(r.w, "%s | %s\n", prefix(u), u.Line)
		return
	}
	if s := describeUpdate(u); s != "" {
		fmt.Fprintf(r.w, "%s %s\n", prefix(u), s)
	}
}

func (r *renderer) tty(u builder.Update) {
	if r.p == nil {
		return
	}
	switch u.Stage {
	case builder.StagePlan:
		r.planned += int64(u.Total)
		if r.total == nil {
			r.total = r.p.New(r.planned, mpb.BarStyle(), mpb.BarPriority(1<<30),
				mpb.PrependDecorators(decor.Name("packages", decor.WC{W: 10, C: decor.DindentRight})),
				mpb.AppendDecorators(decor.CountersNoUnit("%d/%d")))
		} else {
			r.total.SetTotal(r.planned, false)
		}
		return
	case builder.StageOutput:
		fmt.Fprintf(r.p, "%s | %s\n", prefix(u), u.Line)
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
	b := r.bars[prefix(u)]
	if b == nil {
		b = &pkgBar{}
		name := prefix(u)
		b.bar = r.p.New(0, mpb.SpinnerStyle(),
			mpb.PrependDecorators(decor.Name(name+" ", decor.WC{C: decor.DindentRight})),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return b.get() })))
		r.bars[name] = b
	}
	b.set(s)
}
