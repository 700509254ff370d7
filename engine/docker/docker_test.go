package docker

import "testing"

func TestLoadError(t *testing.T) {
	tests := map[string]string{
		`{"stream":"Loaded image: x\n"}`:                                            "",
		`{"stream":"a"}{"errorDetail":{"message":"bad layer"},"error":"bad layer"}`: "bad layer",
		`{"error":"only error"}`:                                                    "only error",
		`not json`:                                                                  "",
	}
	for body, want := range tests {
		if got := loadError([]byte(body)); got != want {
			t.Errorf("loadError(%s) = %q, want %q", body, got, want)
		}
	}
}
