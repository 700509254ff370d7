package builder

import (
	"bytes"
	"sync"

	"github.com/flavor-dev/flavor/progress"
)

// The stages a build reports through WithProgress, in [progress.Event]s. Package-level events
// carry the package and platform; Done and Total count commands (prelude, step) or packages
// (plan, done, failed); Message is the line the stage names.
const (
	StagePlan     progress.Stage = "plan"     // a platform's packages resolved and keyed; Total = packages
	StageCached   progress.Stage = "cached"   // the artifact was found in the local cache
	StagePulled   progress.Stage = "pulled"   // the artifact was fetched from the --pull registry
	StageBuild    progress.Stage = "build"    // containers are about to start for the package
	StageImage    progress.Stage = "image"    // making a build root (Message says which)
	StagePrelude  progress.Stage = "prelude"  // prelude command Done of Total starts; Message = the command
	StageStep     progress.Stage = "step"     // step Done of Total starts; Message = the command
	StageOutput   progress.Stage = "output"   // Message = one line of a command's output
	StageExtract  progress.Stage = "extract"  // reading what the steps changed
	StageArtifact progress.Stage = "artifact" // the artifact and its metadata are written; Message = file
	StagePushed   progress.Stage = "pushed"   // the artifact was pushed to the --push registry
	StageDone     progress.Stage = "done"     // the package is finished; Done of Total packages finished
	StageFailed   progress.Stage = "failed"   // the package failed; Message = the error
)

// reporter serialises progress callbacks: fn is called from one goroutine at a time.
type reporter struct {
	mu sync.Mutex
	fn progress.Func
}

func (r *reporter) send(u progress.Event) {
	if r == nil || r.fn == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fn(u)
}

// lineWriter splits a command's output into lines, sends each as a StageOutput event and keeps
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
