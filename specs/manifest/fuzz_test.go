package manifest

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// FuzzParse checks that decoding never panics, that every failure is an *Error (alone or
// joined), and that a manifest that decodes has a stable digest.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/manifest-md.toml", "testdata/pyproject.toml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, p == "testdata/pyproject.toml")
	}
	f.Add([]byte(minimal+"[vars]\nA = \"${B}\"\nB = \"${A}\"\n"), false)
	f.Add([]byte(minimal+"[slots]\nentries = [{ name = \"a\", source = \"b\", operations = \"tar.zst\" }]\n"), false)
	f.Add([]byte("x = '''\n[a]\n'''\n[[b]]\n[b.c]\n\"q\\\"k\" = { d = [1, {e = 2}] }\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, pyproject bool) {
		scanKeyLines(string(data)) // must not panic or hang on any input
		m, err := Parse("flavor.toml", data, WithPyproject(pyproject))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			return
		}
		again, err := Parse("flavor.toml", data, WithPyproject(pyproject))
		if err != nil || again.Digest() != m.Digest() {
			t.Fatalf("second decode: %v, digest %s vs %s", err, again.Digest(), m.Digest())
		}
	})
}

// FuzzDecodeLock checks that decoding a lock never panics and that what decodes re-encodes to
// bytes that decode and encode to themselves.
func FuzzDecodeLock(f *testing.F) {
	golden, err := os.ReadFile("testdata/flavor.lock")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"lockfile-version": 1, "packages": [{"install-id": "a", "system": "s", "build-deps": null}], "launchers": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := DecodeLock("flavor.lock", data)
		if err != nil {
			if !errors.Is(err, ErrInvalidLock) {
				t.Fatalf("error %v does not wrap ErrInvalidLock", err)
			}
			return
		}
		out, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeLock("flavor.lock", out)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		out2, _ := back.Encode()
		if !bytes.Equal(out, out2) {
			t.Fatalf("encoding not stable:\n%s\n%s", out, out2)
		}
	})
}
