package builder

import (
	"bytes"
	"sync"
)

// Stage names what a build is doing in an [Update].
type Stage string

// The stages reported through WithProgress.
const (
	StagePlan     Stage = "plan"     // a platform's packages resolved and keyed; Total = packages
	StageCached   Stage = "cached"   // the artifact was found in the local cache
	StagePulled   Stage = "pulled"   // the artifact was fetched from the --pull registry
	StageBuild    Stage = "build"    // containers are about to start for the package
	StageImage    Stage = "image"    // making a build root (Line says which)
	StagePrelude  Stage = "prelude"  // prelude command Done of Total starts; Line = the command
	StageStep     Stage = "step"     // step Done of Total starts; Line = the command
	StageOutput   Stage = "output"   // Line = one line of a command's output
	StageExtract  Stage = "extract"  // reading what the steps changed
	StageArtifact Stage = "artifact" // the artifact and its metadata are written; Line = file
	StagePushed   Stage = "pushed"   // the artifact was pushed to the --push registry
	StageDone     Stage = "done"     // the package is finished; Done of Total packages finished
	StageFailed   Stage = "failed"   // the package failed; Line = the error
)

// Update is a progress event. Package-level events carry the package and platform; Done and
// Total count commands (prelude, step) or packages (plan, done, failed).
type Update struct {
	Stage    Stage
	Package  string // "category/name@version"; empty for plan events
	Platform string // "linux/amd64"
	Done     int
	Total    int
	Line     string
}

// reporter serialises progress callbacks: fn is called from one goroutine at a time.
type reporter struct {
	mu sync.Mutex
	fn func(Update)
}

func (r *reporter) send(u Update) {
	if r == nil || r.fn == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fn(u)
}

// lineWriter splits a command's output into lines, sends each as a StageOutput update and keeps
// the last tailLines for a StepError. stdout and stderr share one lineWriter; a partial line is
// completed by the next write or by flush.
type lineWriter struct {
	mu      sync.Mutex
	emit    func(line string)
	partial []byte
	tail    []string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial = append(w.partial, p...)
			if len(w.partial) > 64<<10 { // a very long line without newline: cut it
				w.line(w.partial)
				w.partial = w.partial[:0]
			}
			break
		}
		w.partial = append(w.partial, p[:i]...)
		w.line(w.partial)
		w.partial = w.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

// flush sends a last line that did not end in a newline.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.line(w.partial)
		w.partial = w.partial[:0]
	}
}

func (w *lineWriter) line(b []byte) {
	s := string(bytes.TrimSuffix(b, []byte("\r")))
	if len(w.tail) == tailLines {
		copy(w.tail, w.tail[1:])
		w.tail = w.tail[:tailLines-1]
	}
	w.tail = append(w.tail, s)
	if w.emit != nil {
		w.emit(s)
	}
}

// lastLines returns a copy of the kept tail.
func (w *lineWriter) lastLines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.tail...)
}
