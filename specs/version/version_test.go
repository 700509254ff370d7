package version

import (
	"errors"
	"sort"
	"testing"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		// luet-reference §1.5, practical effects of HEAD's rules
		{"1.0-1", "1.0", 1},
		{"1.0~rc1", "1.0", -1},
		{"1.0+2", "1.0+1", 1},
		{"1.0+1", "1.0", 1},
		{"0:1.0", "1.0", 0},
		// normalisation: `_` → `-`, leading v + digit, leading zeros
		{"1.0_1", "1.0-1", 0},
		{"v1.0", "1.0", 0},
		{"1.00", "1.0", 0},
		{"1.007", "1.7", 0},
		{"vim1", "vim1", 0},
		// unparseable sorts before every valid version
		{"abc", "0", -1},
		{"0~", "abc", 1},
		{"", "0", -1},
		{"abc", "abd", -1},
		// dpkg's own test vectors (lib/dpkg/t/t-version.c)
		{"1.0", "1.0", 0},
		{"1:1.0", "2:1.0", -1},
		{"2:1.0", "1:9.0", 1},
		{"1.0-0", "1.0", 0},
		{"1.0~", "1.0", -1},
		{"1.0~~", "1.0~", -1},
		{"1.0~~a", "1.0~~", 1},
		{"1.0~", "1.0~a", -1},
		{"1.0a", "1.0", 1},
		{"1.0.1", "1.0", 1},
		{"1.10", "1.9", 1},
		{"1.0+", "1.0", 1},
		{"1.0.", "1.0+", 1},
		{"2.10.1+1", "2.10.1", 1},
		{"1.0.29+pre2_p20191024.1", "1.0.29+pre2_p20191024", 1},
		{"99999999999999999999999", "99999999999999999999998", 1},
		{"1:0", "0:99", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			if got := Compare(tt.a, tt.b); got != tt.want {
				t.Fatalf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := Compare(tt.b, tt.a); got != -tt.want {
				t.Fatalf("Compare(%q, %q) = %d, want %d (antisymmetry)", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

func TestSortOrder(t *testing.T) {
	in := []string{"1.0+1", "1.0", "bogus", "1.0~rc1", "0:0.9", "1.0-1", "1.0+2", "2:0.1", "v1.1"}
	want := []string{"bogus", "0:0.9", "1.0~rc1", "1.0", "1.0-1", "1.0+1", "1.0+2", "v1.1", "2:0.1"}
	sort.SliceStable(in, func(i, j int) bool { return Compare(in[i], in[j]) < 0 })
	for i := range want {
		if in[i] != want[i] {
			t.Fatalf("sorted = %v, want %v", in, want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in        string
		valid     bool
		normal    string
		upstream  string
		revision  string
		epoch     string
		errSubstr string
	}{
		{in: "1.0", valid: true, normal: "1.0", upstream: "1.0", epoch: "0"},
		{in: "v1.00", valid: true, normal: "1.0", upstream: "1.0", epoch: "0"},
		{in: "1:2.3-4", valid: true, normal: "1:2.3-4", upstream: "2.3", revision: "4", epoch: "1"},
		{in: "007:1.0", valid: true, normal: "7:1.0", upstream: "1.0", epoch: "7"},
		{in: "1.0.29+pre2_p20191024.1", valid: true, normal: "1.0.29+pre2-p20191024.1", upstream: "1.0.29+pre2", revision: "p20191024.1", epoch: "0"},
		{in: "2.0-1-2", valid: true, normal: "2.0-1-2", upstream: "2.0-1", revision: "2", epoch: "0"},
		{in: "", errSubstr: "empty"},
		{in: "abc", errSubstr: "must start with a digit"},
		{in: "x:1.0", errSubstr: "epoch"},
		{in: "1.0-", errSubstr: "empty revision"},
		{in: "1.0 beta", errSubstr: "not allowed"},
		{in: "1.0-a/b", errSubstr: "not allowed in revision"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := Parse(tt.in)
			if v.Valid() != tt.valid || v.String() != tt.in {
				t.Fatalf("Parse(%q) valid=%v text=%q", tt.in, v.Valid(), v.String())
			}
			if !tt.valid {
				if !errors.Is(err, ErrInvalid) || !contains(err.Error(), tt.errSubstr) {
					t.Fatalf("Parse(%q) error = %v, want ErrInvalid mentioning %q", tt.in, err, tt.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if Normalize(tt.in) != tt.normal || v.upstream != tt.upstream || v.revision != tt.revision || v.epoch != tt.epoch {
				t.Fatalf("Parse(%q) = norm %q epoch %q upstream %q revision %q", tt.in, Normalize(tt.in), v.epoch, v.upstream, v.revision)
			}
		})
	}
}

func TestBump(t *testing.T) {
	// luet-reference §1.5, `luet tree bump` (package_test.go)
	tests := map[string]string{
		"1.0":               "1.0+1",
		"1.0+1":             "1.0+2",
		"1.0+r1":            "1.0+r2",
		"1.0+p1":            "1.0+p2",
		"1.0+rc9":           "1.0+rc10",
		"1.0+pre20200315":   "1.0+pre20200315.1",
		"1.0+pre20200315.1": "1.0+pre20200315.2",
		"2.10.1+9":          "2.10.1+10",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			got, err := Bump(in)
			if err != nil || got != want {
				t.Fatalf("Bump(%q) = %q, %v; want %q", in, got, err, want)
			}
			if Compare(got, in) <= 0 {
				t.Fatalf("Bump(%q) = %q does not sort after it", in, got)
			}
		})
	}
	if _, err := Bump("not-a-version"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Bump of an invalid version: err = %v, want ErrInvalid", err)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
