package launcher

import "testing"

func TestPlatformMatches(t *testing.T) {
	tests := []struct {
		platform, goos, goarch string
		want                   bool
	}{
		{"", "linux", "amd64", true},
		{"any", "windows", "arm64", true},
		{"linux", "linux", "arm64", true},
		{"linux", "darwin", "arm64", false},
		{"linux/amd64", "linux", "amd64", true},
		{"linux/amd64", "linux", "arm64", false},
		{"linux_x86_64", "linux", "amd64", true},
		{"darwin-arm64", "darwin", "arm64", true},
		{"macos", "darwin", "amd64", true},
		{"x86_64", "linux", "amd64", true},
		{"aarch64", "linux", "amd64", false},
		{"Windows/AMD64", "windows", "amd64", true},
		{"freebsd", "linux", "amd64", false},
	}
	for _, tt := range tests {
		t.Run(tt.platform+"@"+tt.goos+"/"+tt.goarch, func(t *testing.T) {
			if got := platformMatches(tt.platform, tt.goos, tt.goarch); got != tt.want {
				t.Fatalf("platformMatches(%q, %s, %s) = %v, want %v", tt.platform, tt.goos, tt.goarch, got, tt.want)
			}
		})
	}
}

func TestClassOf(t *testing.T) {
	for lc, want := range map[string]class{
		"init": classInit, "startup": classFresh, "volatile": classFresh, "temporary": classFresh, "temp": classFresh,
		"lazy": classLazy, "runtime": classOnce, "cache": classOnce, "cached": classOnce, "eager": classOnce,
		"config": classOnce, "dev": classOnce, "shutdown": classOnce, "": classOnce, "Lazy": classLazy,
	} {
		if got := classOf(lc); got != want {
			t.Errorf("classOf(%q) = %d, want %d", lc, got, want)
		}
	}
}
