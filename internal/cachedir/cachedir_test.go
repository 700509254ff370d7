package cachedir

import (
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		goos string
		want string
	}{
		{"FLAVOR_CACHE first", map[string]string{"FLAVOR_CACHE": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, "linux", "/c"},
		{"XDG", map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "linux", filepath.Join("/x", "flavor")},
		{"relative XDG ignored", map[string]string{"XDG_CACHE_HOME": "rel", "HOME": "/h"}, "linux", filepath.Join("/h", ".cache", "flavor")},
		{"home", map[string]string{"HOME": "/h"}, "darwin", filepath.Join("/h", ".cache", "flavor")},
		{"windows LocalAppData", map[string]string{"LocalAppData": `C:\L`, "HOME": "/h"}, "windows", filepath.Join(`C:\L`, "flavor")},
		{"windows USERPROFILE", map[string]string{"USERPROFILE": `C:\U`}, "windows", filepath.Join(`C:\U`, ".cache", "flavor")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(func(k string) string { return tt.env[k] }, tt.goos)
			if err != nil || got != tt.want {
				t.Fatalf("Resolve = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := Resolve(func(string) string { return "" }, "linux"); err == nil {
		t.Fatal("no variables set: want an error")
	}
}
