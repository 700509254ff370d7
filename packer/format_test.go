package packer

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/adler32"
	"testing"
)

func TestKeySeedVectors(t *testing.T) {
	for _, tc := range []struct{ seed, pub string }{
		{"test123", "d27367ba3d436463c468ecc68cfd2735b4d33b6be611355d72ac03666b47335d"},
		{"test-seed", "3cf9469205ba8dfccfd606c3eef6550016852c61d1e3594e2058433e841c98c9"},
	} {
		t.Run(tc.seed, func(t *testing.T) {
			got := hex.EncodeToString(KeyFromSeed(tc.seed).Public().(ed25519.PublicKey))
			if got != tc.pub {
				t.Fatalf("public key %s, want %s", got, tc.pub)
			}
		})
	}
}

func TestAdlerVectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want uint32
	}{
		{"empty", nil, 1},
		{"a", []byte("a"), 0x00620062},
		{"1024 zeros", make([]byte, 1024), 0x04000001},
		{"Hello, PSPF!", []byte("Hello, PSPF!\n"), 0x1d5103a5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := adler32.Checksum(tc.in); got != tc.want {
				t.Fatalf("adler32 = 0x%08x, want 0x%08x", got, tc.want)
			}
		})
	}
}

func TestIndexChecksumIgnoresItsOwnField(t *testing.T) {
	b := make([]byte, IndexSize)
	b[0], b[100] = 1, 7
	want := adler32.Checksum(b)
	binary.LittleEndian.PutUint32(b[4:], 0xdeadbeef)
	if got := IndexChecksum(b); got != want {
		t.Fatalf("IndexChecksum = 0x%08x, want 0x%08x (bytes 4..8 taken as zero)", got, want)
	}
	if binary.LittleEndian.Uint32(b[4:]) != 0xdeadbeef {
		t.Fatal("IndexChecksum modified its input")
	}
}

func TestDescriptorBytes(t *testing.T) {
	d := Descriptor{ID: 3, NameHash: NameHash("bin/hello.sh"), Offset: 720, Size: 56, OriginalSize: 56,
		Operations: 0x1001, Checksum: 0xe500600074612ca7, Purpose: PurposeData, Lifecycle: LifecycleRuntime,
		Priority: 128, Permissions: 0o755}
	b, _ := d.MarshalBinary()
	if len(b) != DescriptorSize {
		t.Fatalf("descriptor is %d bytes", len(b))
	}
	t.Run("tail bytes of the observed Go example", func(t *testing.T) {
		if want := []byte{0x00, 0x02, 0x80, 0x00, 0x00, 0x00, 0xed, 0x01}; !bytes.Equal(b[56:], want) {
			t.Fatalf("tail % x, want % x", b[56:], want)
		}
	})
	t.Run("field offsets", func(t *testing.T) {
		le := binary.LittleEndian
		for _, f := range []struct {
			off  int
			want uint64
		}{{0, 3}, {16, 720}, {24, 56}, {32, 56}, {40, 0x1001}, {48, 0xe500600074612ca7}} {
			if got := le.Uint64(b[f.off:]); got != f.want {
				t.Errorf("u64 at %d = 0x%x, want 0x%x", f.off, got, f.want)
			}
		}
	})
	t.Run("name hash is SHA-256 prefix little-endian", func(t *testing.T) {
		sum := sha256.Sum256([]byte("bin/hello.sh"))
		if binary.LittleEndian.Uint64(b[8:]) != binary.LittleEndian.Uint64(sum[:8]) {
			t.Fatal("name_hash is not SHA-256(name)[:8] LE")
		}
		if !bytes.Equal(b[8:16], sum[:8]) {
			t.Fatal("name_hash bytes differ from the digest's first 8 bytes")
		}
	})
	t.Run("round trip", func(t *testing.T) {
		back, err := ParseDescriptor(b)
		if err != nil || back != d {
			t.Fatalf("ParseDescriptor = %+v, %v", back, err)
		}
	})
}

func TestIndexLayout(t *testing.T) {
	x := Index{FormatVersion: FormatVersion, PackageSize: 9000, LauncherSize: 115, MetadataOffset: 115,
		MetadataSize: 500, SlotTableOffset: 616, SlotTableSize: 64, SlotCount: 1, PageSize: 4096,
		MaxMemory: 134217728, MinMemory: 8388608, StreamChunkSize: 65536, Capabilities: 0x81,
		Compatibility: FormatVersion, ProtocolVersion: 1, AccessMode: 2, CacheStrategy: 1}
	x.PublicKey[0], x.MetadataChecksum[0], x.Signature[63] = 0xAA, 0xBB, 0xCC
	b, _ := x.MarshalBinary()
	le := binary.LittleEndian
	for _, f := range []struct {
		name string
		got  uint64
		want uint64
	}{
		{"version bytes", uint64(le.Uint32(b[0:])), 0x20250001},
		{"package_size", le.Uint64(b[8:]), 9000},
		{"slot_count", uint64(le.Uint32(b[56:])), 1},
		{"public key at 64", uint64(b[64]), 0xAA},
		{"metadata checksum at 96", uint64(b[96]), 0xBB},
		{"signature ends at 191", uint64(b[191]), 0xCC},
		{"access_mode at 640", uint64(b[640]), 2},
		{"page_size at 644", uint64(le.Uint32(b[644:])), 4096},
		{"max_memory at 648", le.Uint64(b[648:]), 134217728},
		{"stream_chunk_size at 688", uint64(le.Uint32(b[688:])), 65536},
		{"capabilities at 832 (spec, not Go's 840)", le.Uint64(b[832:]), 0x81},
		{"compatibility at 856", uint64(le.Uint32(b[856:])), 0x20250001},
		{"protocol_version at 860", uint64(le.Uint32(b[860:])), 1},
		{"checksum", uint64(le.Uint32(b[4:])), uint64(IndexChecksum(b))},
	} {
		if f.got != f.want {
			t.Errorf("%s = 0x%x, want 0x%x", f.name, f.got, f.want)
		}
	}
	if !bytes.Equal(b[0:4], []byte{0x01, 0x00, 0x25, 0x20}) {
		t.Errorf("version bytes % x", b[0:4])
	}
	back, err := ParseIndex(b)
	x.Checksum = IndexChecksum(b)
	if err != nil || back != x {
		t.Fatalf("ParseIndex round trip: %+v %v", back, err)
	}
	tr := MarshalTrailer(b)
	if len(tr) != TrailerSize || !bytes.Equal(tr[:4], []byte{0xF0, 0x9F, 0x93, 0xA6}) || !bytes.Equal(tr[TrailerSize-4:], []byte{0xF0, 0x9F, 0xAA, 0x84}) {
		t.Fatalf("trailer framing wrong")
	}
	if in, err := splitTrailer(tr); err != nil || !bytes.Equal(in, b) {
		t.Fatalf("splitTrailer: %v", err)
	}
}

func TestPurposeLifecycleBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Purpose
	}{{"data", 0}, {"code", 1}, {"config", 2}, {"media", 3}, {"", 0}, {"payload", 0}, {"runtime", 1}, {"tool", 2}} {
		t.Run("purpose "+tc.in, func(t *testing.T) {
			if got, err := ParsePurpose(tc.in); err != nil || got != tc.want {
				t.Fatalf("ParsePurpose(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		in   string
		want Lifecycle
	}{{"init", 0}, {"startup", 1}, {"runtime", 2}, {"shutdown", 3}, {"cache", 4}, {"cached", 4},
		{"temporary", 5}, {"temp", 5}, {"volatile", 5}, {"lazy", 6}, {"eager", 7}, {"dev", 8},
		{"config", 9}, {"platform", 10}, {"", 2}} {
		t.Run("lifecycle "+tc.in, func(t *testing.T) {
			if got, err := ParseLifecycle(tc.in); err != nil || got != tc.want {
				t.Fatalf("ParseLifecycle(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
	if _, err := ParseLifecycle("runtme"); err == nil || !bytes.Contains([]byte(err.Error()), []byte(`did you mean "runtime"`)) {
		t.Fatalf("ParseLifecycle(runtme) error %v lacks a hint", err)
	}
	if _, err := ParsePurpose("confg"); err == nil || !bytes.Contains([]byte(err.Error()), []byte(`did you mean "config"`)) {
		t.Fatalf("ParsePurpose(confg) error %v lacks a hint", err)
	}
}
