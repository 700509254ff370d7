package suggest

import "testing"

func TestNearest(t *testing.T) {
	known := []string{"steps", "prelude", "requires", "requires_final_images", "pkg-path", "env"}
	tests := []struct{ word, want string }{
		{"step", "steps"},
		{"perlude", "prelude"}, // transposition
		{"pkg_path", "pkg-path"},
		{"PKG-PATH", "pkg-path"},
		{"requries", "requires"},
		{"evn", "env"},
		{"xyz", ""},
		{"envv", "env"},
		{"completely-unrelated", ""},
	}
	for _, tt := range tests {
		if got := Nearest(tt.word, known); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"ab", "ba", 1}, {"héllo", "hello", 1}}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNearestTieIsOrderIndependent(t *testing.T) {
	for _, known := range [][]string{{"t/c", "t/cc2"}, {"t/cc2", "t/c"}} {
		if got := Nearest("t/cc", known); got != "t/c" {
			t.Errorf("Nearest(t/cc, %v) = %q, want t/c", known, got)
		}
	}
}

func TestRelated(t *testing.T) {
	known := []string{"env", "steps", "requires", "requires_final_images", "image", "id"}
	tests := []struct{ word, want string }{
		{"environment", "env"},
		{"images", "image"},
		{"require", "requires_final_images"},
		{"identity", ""}, // "id" is too short to stand for anything
		{"branch", ""},
		{"en", ""},
	}
	for _, tt := range tests {
		if got := Related(tt.word, known); got != tt.want {
			t.Errorf("Related(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}
