package launcher

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheDir(t *testing.T) {
	tests := []struct {
		name, goos string
		env        []string
		want       string
	}{
		{"FLAVOR_CACHE first", "linux", []string{"HOME=/h", "XDG_CACHE_HOME=/x", "FLAVOR_CACHE=/f"}, "/f"},
		{"XDG next", "linux", []string{"HOME=/h", "XDG_CACHE_HOME=/x"}, filepath.Join("/x", "flavor")},
		{"relative XDG is ignored", "linux", []string{"HOME=/h", "XDG_CACHE_HOME=rel"}, filepath.Join("/h", ".cache", "flavor")},
		{"home", "darwin", []string{"HOME=/Users/u"}, filepath.Join("/Users/u", ".cache", "flavor")},
		{"windows LocalAppData", "windows", []string{"LOCALAPPDATA=/lad", "USERPROFILE=/up"}, filepath.Join("/lad", "flavor")},
		{"windows profile", "windows", []string{"USERPROFILE=/up"}, filepath.Join("/up", ".cache", "flavor")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cacheDirFor(newEnviron(tt.env, tt.goos == "windows"), tt.goos)
			if err != nil || got != tt.want {
				t.Fatalf("cacheDirFor = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := cacheDirFor(newEnviron([]string{"USER=u"}, false), "linux"); err == nil {
		t.Fatal("no HOME and no cache variables: want an error")
	}
}

func TestWorkenvName(t *testing.T) {
	a := WorkenvName("hello", []byte(`{"a":1}`))
	b := WorkenvName("hello", []byte(`{"a":2}`))
	if a == b {
		t.Fatalf("different metadata, same workenv %q", a)
	}
	if !strings.HasPrefix(a, "hello-") || len(a) != len("hello-")+16 {
		t.Fatalf("WorkenvName = %q, want hello-<16 hex>", a)
	}
	if a != WorkenvName("hello", []byte(`{"a":1}`)) {
		t.Fatal("WorkenvName is not deterministic")
	}
	for in, want := range map[string]string{
		"../../etc": "_._.._etc", "": "package", ".hidden": "_hidden", "a/b\\c": "a_b_c",
		"ok-1.2_x+y": "ok-1.2_x+y", strings.Repeat("n", 100): strings.Repeat("n", 64),
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}
