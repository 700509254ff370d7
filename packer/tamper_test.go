package packer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer/keys"
)

// verifyBytes runs what Verify runs, on bytes in memory.
func verifyBytes(ctx context.Context, b []byte, opts ...Option) error {
	p, err := NewPackage(ctx, bytes.NewReader(b), int64(len(b)), append([]Option{WithName("tampered.psp")}, opts...)...)
	if err != nil {
		return err
	}
	return p.VerifyContent(ctx)
}

func TestTamperEveryByte(t *testing.T) {
	ctx := context.Background()
	tree := t.TempDir()
	writeTree(t, tree, map[string]string{"bin/run.sh": "echo tamper\n"})
	path, res := writePackage(t, baseSpec(
		Slot{ID: "tree", Path: tree},
		Slot{ID: "note", Reader: strings.NewReader("a note that is long enough\n"), Target: "note.txt"},
	))
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyBytes(ctx, orig); err != nil {
		t.Fatalf("untampered package: %v", err)
	}
	x := res.Index
	n := uint64(len(orig))
	indexStart := n - TrailerSize + 4
	inRange := func(pos, off, size uint64) bool { return pos >= off && pos < off+size }
	// expected returns the sentinels a flip at pos may produce ("" region = not covered at standard).
	expected := func(pos uint64) (string, []error) {
		switch {
		case pos < x.LauncherSize:
			return "launcher", []error{ErrLauncherChecksum}
		case pos >= n-TrailerSize && pos < indexStart, pos >= n-4:
			return "trailer magic", []error{ErrBadMagic}
		case inRange(pos, indexStart, 4):
			return "index version", []error{ErrBadVersion}
		case pos >= indexStart:
			return "index", []error{ErrIndexChecksum}
		case inRange(pos, x.MetadataOffset, x.MetadataSize):
			return "metadata", []error{ErrMetadataChecksum}
		case inRange(pos, x.SlotTableOffset, x.SlotTableSize):
			switch field := (pos - x.SlotTableOffset) % DescriptorSize; {
			case field >= 48 && field < 56:
				return "descriptor checksum", []error{ErrSlotChecksum}
			case field >= 16 && field < 24: // offset: out of bounds, or pointing at other bytes
				return "descriptor offset", []error{ErrSlotTable, ErrSlotChecksum}
			default:
				return "descriptor", []error{ErrSlotTable}
			}
		}
		for _, d := range res.Descriptors {
			if inRange(pos, d.Offset, d.Size) {
				return "slot data", []error{ErrSlotChecksum}
			}
		}
		return "", nil
	}
	tried := map[string]int{}
	b := make([]byte, len(orig))
	for pos := uint64(0); pos < n; pos++ {
		region, want := expected(pos)
		if region == "" {
			continue // padding: only strict checks it (below)
		}
		copy(b, orig)
		b[pos] ^= 0x01
		err := verifyBytes(ctx, b)
		ok := false
		for _, w := range want {
			ok = ok || errors.Is(err, w)
		}
		if !ok {
			t.Fatalf("flip at %d (%s): got %v, want one of %v", pos, region, err, want)
		}
		tried[region]++
	}
	total := 0
	for _, c := range tried {
		total += c
	}
	t.Logf("refused %d single-byte flips at standard level: %v", total, tried)
	for _, r := range []string{"launcher", "trailer magic", "index version", "index", "metadata", "descriptor", "descriptor checksum", "descriptor offset", "slot data"} {
		if tried[r] == 0 {
			t.Errorf("no flip tried in region %s", r)
		}
	}

	t.Run("padding at strict", func(t *testing.T) {
		pads := 0
		for pos := uint64(0); pos < n; pos++ {
			if region, _ := expected(pos); region != "" {
				continue
			}
			copy(b, orig)
			b[pos] ^= 0x01
			if err := verifyBytes(ctx, b); err != nil {
				t.Fatalf("flip in padding at %d refused at standard: %v", pos, err)
			}
			if err := verifyBytes(ctx, b, WithLevel(LevelStrict)); !errors.Is(err, ErrLayout) {
				t.Fatalf("flip in padding at %d: strict says %v, want ErrLayout", pos, err)
			}
			pads++
		}
		t.Logf("strict refused %d padding flips", pads)
	})
}

func TestLevels(t *testing.T) {
	ctx := context.Background()
	path, res := writePackage(t, baseSpec(Slot{ID: "note", Reader: strings.NewReader("a note that is long enough\n"), Target: "n"}))
	orig, _ := os.ReadFile(path)
	n := len(orig)
	flip := func(pos int) []byte { b := bytes.Clone(orig); b[pos] ^= 1; return b }
	indexAt := n - TrailerSize + 4
	slotAt := int(res.Descriptors[0].Offset)
	cases := []struct {
		name string
		b    []byte
		want map[Level]error // nil: accepted (with a warning when warn is set)
		warn map[Level]bool
	}{
		{"reserved index byte (Adler-32)", flip(indexAt + 2000),
			map[Level]error{LevelStrict: ErrIndexChecksum, LevelStandard: ErrIndexChecksum},
			map[Level]bool{LevelRelaxed: true}},
		{"metadata byte", flip(int(res.Index.MetadataOffset + res.Index.MetadataSize/2)),
			map[Level]error{LevelStrict: ErrMetadataChecksum, LevelStandard: ErrMetadataChecksum, LevelRelaxed: ErrMalformed,
				LevelMinimal: ErrMalformed, LevelNone: ErrMalformed}, nil},
		{"slot byte", flip(slotAt),
			map[Level]error{LevelStrict: ErrSlotChecksum, LevelStandard: ErrSlotChecksum, LevelRelaxed: ErrSlotChecksum,
				LevelMinimal: ErrSlotChecksum}, nil},
		{"bad magic", flip(n - 1),
			map[Level]error{LevelStrict: ErrBadMagic, LevelStandard: ErrBadMagic, LevelRelaxed: ErrBadMagic,
				LevelMinimal: ErrBadMagic, LevelNone: ErrBadMagic}, nil},
		{"appended byte", append(bytes.Clone(orig), 0), map[Level]error{LevelStrict: ErrBadMagic, LevelStandard: ErrBadMagic,
			LevelRelaxed: ErrBadMagic, LevelMinimal: ErrBadMagic, LevelNone: ErrBadMagic}, nil},
	}
	unsigned := bytes.Clone(orig)
	copy(unsigned[indexAt+128:indexAt+192], make([]byte, 64))
	fixIndexChecksum(unsigned)
	cases = append(cases, struct {
		name string
		b    []byte
		want map[Level]error
		warn map[Level]bool
	}{"unsigned", unsigned, map[Level]error{LevelStrict: ErrUnsigned, LevelStandard: ErrUnsigned},
		map[Level]bool{LevelRelaxed: true, LevelMinimal: true}})
	for _, tc := range cases {
		for lvl := LevelNone; lvl <= LevelStrict; lvl++ {
			t.Run(fmt.Sprintf("%s at %s", tc.name, lvl), func(t *testing.T) {
				var logs bytes.Buffer
				logger := slog.New(slog.NewTextHandler(&logs, nil))
				p, err := NewPackage(ctx, bytes.NewReader(tc.b), int64(len(tc.b)), WithLevel(lvl), WithLogger(logger))
				if err == nil {
					err = p.VerifyContent(ctx)
				}
				if want := tc.want[lvl]; want != nil {
					if !errors.Is(err, want) {
						t.Fatalf("got %v, want %v", err, want)
					}
					return
				}
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got := len(p.Warnings()) > 0; got != tc.warn[lvl] {
					t.Fatalf("warnings %v, want some: %v", p.Warnings(), tc.warn[lvl])
				}
				for _, w := range p.Warnings() { // every warning is logged too, naming its check
					if line := "check=" + strconv.Quote(w.Check); !strings.Contains(logs.String(), line) && !strings.Contains(logs.String(), "check="+w.Check+" ") {
						t.Errorf("log lacks %s:\n%s", line, logs.String())
					}
				}
				if got := strings.Count(logs.String(), "verification warning"); got != len(p.Warnings()) {
					t.Errorf("%d warnings logged, want %d:\n%s", got, len(p.Warnings()), logs.String())
				}
			})
		}
	}
}

// fixIndexChecksum recomputes the Adler-32 of a package's index in place.
func fixIndexChecksum(b []byte) {
	idx := b[len(b)-TrailerSize+4 : len(b)-4]
	sum := IndexChecksum(idx)
	idx[4], idx[5], idx[6], idx[7] = byte(sum), byte(sum>>8), byte(sum>>16), byte(sum>>24)
}

func TestTrust(t *testing.T) {
	ctx := context.Background()
	path, _ := writePackage(t, baseSpec(Slot{ID: "note", Reader: strings.NewReader("a note that is long enough\n"), Target: "n"}))
	signer, _ := keys.ParsePublicKeyHex("d27367ba3d436463c468ecc68cfd2735b4d33b6be611355d72ac03666b47335d")
	other := KeyFromSeed("someone else").Public()
	otherKey, _ := keys.ParsePublicKeyHex(fmt.Sprintf("%x", other))
	for _, tc := range []struct {
		name string
		opts []Option
		want error
	}{
		{"no trust list", nil, nil},
		{"signer trusted", []Option{WithTrustedKeys(otherKey, signer)}, nil},
		{"other key only", []Option{WithTrustedKeys(otherKey)}, ErrUntrusted},
		{"empty list trusts nothing", []Option{WithTrustedKeys()}, ErrUntrusted},
		{"relaxed still refuses", []Option{WithTrustedKeys(otherKey), WithLevel(LevelRelaxed)}, ErrUntrusted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(ctx, path, tc.opts...)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
		})
	}
	// A pin is honoured at every level or refused: minimal and none do not check the signature.
	for _, l := range []Level{LevelMinimal, LevelNone} {
		for _, k := range [][]byte{otherKey, signer} {
			if _, err := Open(ctx, path, WithTrustedKeys(k), WithLevel(l)); !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("trusted keys at %s: %v, want ErrInvalidInput", l, err)
			}
		}
	}
}
