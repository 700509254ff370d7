package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/specs"
)

// headersTar writes headers (a regular file's content is its Linkname field, moved to the body).
func headersTar(t *testing.T, hdrs ...tar.Header) func() (io.ReadCloser, error) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		body := ""
		if h.Typeflag == tar.TypeReg {
			body, h.Linkname, h.Size = h.Linkname, "", int64(len(h.Linkname))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil }
}

// TestLayerTreeFallsBackToTheWholeBase: a layer whose new file's parent directories it does
// not hold asks the reverse diff about them, which does not tell them; the delta is then read
// against the whole builder stage the solver exports, and gives the file with the stage's
// parent attributes. A layer the reverse diff tells whole never exports the stage.
func TestLayerTreeFallsBackToTheWholeBase(t *testing.T) {
	base := t.TempDir()
	if err := os.MkdirAll(filepath.Join(base, "x", "y"), 0o750); err != nil {
		t.Fatal(err)
	}
	b := &builder{o: &options{logger: slog.New(slog.DiscardHandler), tempDir: t.TempDir()}}
	n := &node{pkg: &specs.Package{Name: "p", Category: "test", Version: "1.0"}}
	for _, tc := range []struct {
		name      string
		layer     []tar.Header
		reverse   []tar.Header
		wantBase  bool
		wantFiles []string
	}{
		{"parents missing", []tar.Header{{Typeflag: tar.TypeReg, Name: "x/y/new", Mode: 0o644, Linkname: "n"}},
			[]tar.Header{{Typeflag: tar.TypeReg, Name: "x/y/.wh.new", Mode: 0o600}}, true, []string{"/x", "/x/y", "/x/y/new"}},
		{"told whole", []tar.Header{{Typeflag: tar.TypeDir, Name: "x/", Mode: 0o750}, {Typeflag: tar.TypeDir, Name: "x/y/", Mode: 0o750},
			{Typeflag: tar.TypeReg, Name: "x/y/new", Mode: 0o644, Linkname: "n"}},
			[]tar.Header{{Typeflag: tar.TypeReg, Name: "x/y/.wh.new", Mode: 0o600}}, false, []string{"/x", "/x/y", "/x/y/new"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exported := false
			sol := &engine.Solution{Layer: headersTar(t, tc.layer...), BaseDiff: headersTar(t, tc.reverse...),
				Base: func(context.Context) (string, error) { exported = true; return base, nil }}
			tree, err := b.layerTree(context.Background(), n, sol, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tree.Close()
			if exported != tc.wantBase {
				t.Errorf("exported the whole builder stage: %v, want %v", exported, tc.wantBase)
			}
			var got []string
			for _, e := range tree.Entries() {
				got = append(got, e.Path)
				if e.Path == "/x/y" && e.Mode != 0o750 {
					t.Errorf("/x/y has mode %o, want the stage's 750", e.Mode)
				}
			}
			if len(got) != len(tc.wantFiles) {
				t.Fatalf("entries %v, want %v", got, tc.wantFiles)
			}
			for i := range got {
				if got[i] != tc.wantFiles[i] {
					t.Fatalf("entries %v, want %v", got, tc.wantFiles)
				}
			}
		})
	}
}
