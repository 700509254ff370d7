package ops

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestPackedOperationVectors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		chain Chain
		want  uint64
	}{
		{"raw", Chain{}, 0},
		{"tar", Chain{Tar}, 0x01},
		{"gzip", Chain{Gzip}, 0x10},
		{"tar+gzip", Chain{Tar, Gzip}, 0x1001},
		{"tar+bzip2", Chain{Tar, Bzip2}, 0x1301},
		{"tar+xz", Chain{Tar, Xz}, 0x1601},
		{"tar+zstd", Chain{Tar, Zstd}, 0x1B01},
		{"tar+zstd+aes256gcm", Chain{Tar, Zstd, AES256GCM}, 0x311B01},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.chain.Pack()
			if err != nil || got != tc.want {
				t.Fatalf("Pack = 0x%x, %v; want 0x%x", got, err, tc.want)
			}
			back := UnpackChain(got)
			if len(back) != len(tc.chain) || (len(back) > 0 && !bytes.Equal(opsBytes(back), opsBytes(tc.chain))) {
				t.Fatalf("UnpackChain(0x%x) = %v, want %v", got, back, tc.chain)
			}
		})
	}
}

func opsBytes(c Chain) []byte {
	b := make([]byte, len(c))
	for i, op := range c {
		b[i] = byte(op)
	}
	return b
}

func TestUnpackStopsAtFirstZero(t *testing.T) {
	got := UnpackChain(0x1B_00_10_01) // tar, gzip, 0, zstd: zstd is never reached
	if !bytes.Equal(opsBytes(got), []byte{0x01, 0x10}) {
		t.Fatalf("UnpackChain = %v, want [tar gzip]", got)
	}
}

func TestPackRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		chain Chain
	}{
		{"nine operations", Chain{Tar, Gzip, Gzip, Gzip, Gzip, Gzip, Gzip, Gzip, Gzip}},
		{"zero inside", Chain{Tar, 0, Gzip}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.chain.Pack(); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Pack error %v, want ErrInvalid", err)
			}
		})
	}
}

func TestParseChainForms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"raw", 0}, {"none", 0}, {"", 0}, {"RAW", 0},
		{"tar", 0x01}, {"gzip", 0x10}, {"gz", 0x10}, {"zstd", 0x1B}, {"xz", 0x16}, {"bzip2", 0x13},
		{"tar.gz", 0x1001}, {"tgz", 0x1001}, {"tar|gzip", 0x1001}, {"tar,gzip", 0x1001}, {"tar + gzip", 0x1001},
		{"tar.zst", 0x1B01}, {"tar.zstd", 0x1B01}, {"tzst", 0x1B01}, {"tar|zstd", 0x1B01},
		{"tar.bz2", 0x1301}, {"tbz2", 0x1301}, {"tbz", 0x1301}, {"taz", 0x1001}, {"TAR.ZST", 0x1B01}, {"tar.xz", 0x1601}, {"txz", 0x1601},
		{"tar|zstd|aes256gcm", 0x311B01}, {"gzip|xz", 0x1610},
	} {
		t.Run(tc.in, func(t *testing.T) {
			c, err := ParseChain(tc.in)
			if err != nil {
				t.Fatalf("ParseChain(%q): %v", tc.in, err)
			}
			if got, _ := c.Pack(); got != tc.want {
				t.Fatalf("ParseChain(%q) packs to 0x%x, want 0x%x", tc.in, got, tc.want)
			}
			again, err := ParseChain(c.String())
			if err != nil || !bytes.Equal(opsBytes(again), opsBytes(c)) {
				t.Fatalf("String %q does not parse back: %v %v", c.String(), again, err)
			}
		})
	}
	t.Run("list form", func(t *testing.T) {
		c, err := ParseChainList([]string{"tar", "zstd"})
		if got, _ := c.Pack(); err != nil || got != 0x1B01 {
			t.Fatalf("ParseChainList = 0x%x, %v", got, err)
		}
		var fromJSON Chain
		if err := fromJSON.UnmarshalJSON([]byte(`["tar","gzip"]`)); err != nil {
			t.Fatal(err)
		}
		if got, _ := fromJSON.Pack(); got != 0x1001 {
			t.Fatalf("JSON list packs to 0x%x", got)
		}
	})
	for _, tc := range []struct{ in, hint string }{
		{"tar.gzp", ""}, {"zsdt", `did you mean "zst"`}, {"gzip|tar", ""},
	} {
		t.Run("reject "+tc.in, func(t *testing.T) {
			_, err := ParseChain(tc.in)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseChain(%q) error %v, want ErrInvalid", tc.in, err)
			}
			if tc.hint != "" && !bytes.Contains([]byte(err.Error()), []byte(tc.hint)) {
				t.Fatalf("error %q lacks hint %q", err, tc.hint)
			}
		})
	}
}

// TestEveryCodecRoundTrips writes and reads back every operation that has a codec, so a new
// compression file is tested by being added.
func TestEveryCodecRoundTrips(t *testing.T) {
	in := []byte(strings.Repeat("flavor packs slots; ", 5000))
	for _, name := range Names() {
		op, _ := byName(name)
		if op == Tar {
			continue
		}
		t.Run(name, func(t *testing.T) {
			var stored bytes.Buffer
			w, err := NewWriter(op, &stored, 2)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(in); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if stored.Len() >= len(in) || bytes.Contains(stored.Bytes(), in[:100]) {
				t.Fatalf("%s stored %d bytes of %d: not compressed", name, stored.Len(), len(in))
			}
			r, err := NewReader(op, &stored)
			if err != nil {
				t.Fatal(err)
			}
			out, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(out, in) || r.Close() != nil {
				t.Fatalf("read back %d bytes, %v", len(out), err)
			}
		})
	}
}

func TestNamedOnly(t *testing.T) {
	if AES256GCM.Writable() || !AES256GCM.Known() || !Tar.Writable() {
		t.Fatal("writability is wrong")
	}
	if _, err := NewReader(AES256GCM, nil); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("NewReader(aes256gcm) = %v", err)
	}
	if _, err := NewWriter(Op(0x99), io.Discard, 1); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("NewWriter(0x99) = %v", err)
	}
	if err := (Chain{Tar, Zstd, AES256GCM}).CheckWritable(); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("CheckWritable = %v", err)
	}
	if Op(0x99).String() != "0x99" || Op(0x99).Known() {
		t.Fatal("unknown code")
	}
	if got := strings.Join(Names(), ","); got != "tar,gzip,bzip2,xz,zstd" {
		t.Fatalf("Names() = %s", got)
	}
}

func FuzzParseChain(f *testing.F) {
	for _, s := range Spellings() {
		f.Add(s)
	}
	f.Add("tar|gzip|zstd")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseChain(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		v, err := c.Pack()
		if err != nil {
			t.Fatalf("parsed chain %v does not pack: %v", c, err)
		}
		again, err := ParseChain(c.String())
		if err != nil {
			t.Fatalf("String %q of %q does not parse: %v", c.String(), s, err)
		}
		if w, _ := again.Pack(); w != v {
			t.Fatalf("%q: 0x%x, round trip 0x%x", s, v, w)
		}
	})
}

// TestVocabularyIsConsistent checks what define does not: every code and every spelling is
// defined once, and every spelling parses.
func TestVocabularyIsConsistent(t *testing.T) {
	codes := map[Op]bool{}
	spellings := map[string]bool{}
	for _, d := range defs {
		if codes[d.op] || d.op == 0 {
			t.Errorf("code 0x%02x defined twice or zero", uint8(d.op))
		}
		codes[d.op] = true
	}
	for _, s := range Spellings() {
		if spellings[s] {
			t.Errorf("spelling %q defined twice", s)
		}
		spellings[s] = true
		if _, err := ParseChain(s); err != nil && s != "aes256gcm" && s != "aes256-gcm" {
			t.Errorf("ParseChain(%q): %v", s, err)
		}
	}
}
