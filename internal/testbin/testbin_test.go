package testbin

import (
	"bytes"
	"os"
	"runtime"
	"sync"
	"testing"
)

func TestLauncherBuildsOnceForEachPlatform(t *testing.T) {
	defer Cleanup()
	magic := map[string][]byte{"linux": []byte("\x7fELF"), "windows": []byte("MZ"), "darwin": {0xcf, 0xfa, 0xed, 0xfe}}
	for _, p := range [][2]string{{"", ""}, {"windows", "amd64"}, {"darwin", "arm64"}} {
		goos := p[0]
		if goos == "" {
			goos = runtime.GOOS
		}
		// Several goroutines ask at once: all get the same file, built once.
		var wg sync.WaitGroup
		paths := make([]string, 4)
		for i := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				if paths[i], err = Launcher(p[0], p[1]); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for _, q := range paths[1:] {
			if q != paths[0] {
				t.Fatalf("%v: two paths %s and %s", p, paths[0], q)
			}
		}
		st, err := os.Stat(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(paths[0])
		if want := magic[goos]; want != nil && !bytes.HasPrefix(b, want) {
			t.Fatalf("%v: %s does not start with the %s executable magic", p, paths[0], goos)
		}
		again, _ := Launcher(p[0], p[1])
		st2, _ := os.Stat(again)
		if again != paths[0] || !st2.ModTime().Equal(st.ModTime()) {
			t.Fatalf("%v: rebuilt on the second call", p)
		}
	}
	Cleanup()
	if p, _ := Launcher("", ""); p == "" {
		t.Fatal("no launcher after Cleanup")
	} else if _, err := os.Stat(p); err != nil {
		t.Fatalf("rebuild after Cleanup: %v", err)
	}
}
