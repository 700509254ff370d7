package packer

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"sort"
)

// readSlotTable reads the descriptors and checks them against the signed metadata without
// reading any slot bytes.
func (p *Package) readSlotTable() error {
	x := &p.index
	if x.SlotTableSize != uint64(x.SlotCount)*DescriptorSize {
		return fmt.Errorf("reading slot table of %s: size %d is not %d descriptors of 64 bytes: %w", p.name, x.SlotTableSize, x.SlotCount, ErrSlotTable)
	}
	if !p.inBody(x.SlotTableOffset, x.SlotTableSize) {
		return fmt.Errorf("reading slot table of %s: %d bytes at %d lie outside the %d-byte body: %w", p.name, x.SlotTableSize, x.SlotTableOffset, p.body(), ErrSlotTable)
	}
	table := make([]byte, x.SlotTableSize)
	if _, err := p.r.ReadAt(table, int64(x.SlotTableOffset)); err != nil {
		return fmt.Errorf("reading slot table of %s: %w", p.name, err)
	}
	p.descs = make([]Descriptor, x.SlotCount)
	for i := range p.descs {
		d, _ := ParseDescriptor(table[i*DescriptorSize : (i+1)*DescriptorSize])
		if !p.inBody(d.Offset, d.Size) {
			return fmt.Errorf("reading slot %d of %s: %d bytes at %d lie outside the %d-byte body: %w", i, p.name, d.Size, d.Offset, p.body(), ErrSlotTable)
		}
		p.descs[i] = d
	}
	if n := len(p.meta.Slots); n != len(p.descs) {
		err := fmt.Errorf("checking slot table of %s: %d descriptors, the metadata lists %d slots: %w", p.name, len(p.descs), n, ErrSlotTable)
		if err := p.outcome(checkTable, "slot table", err); err != nil {
			return err
		}
	}
	for i := range p.descs {
		if err := p.outcome(checkTable, "slot table", p.checkDescriptor(i)); err != nil {
			return err
		}
	}
	return nil
}

// checkDescriptor compares descriptor i with what the signed metadata says about slot i.
func (p *Package) checkDescriptor(i int) error {
	d := p.descs[i]
	info, ok := p.SlotInfo(i)
	if !ok {
		return nil // the count mismatch is reported already
	}
	name := fmt.Sprintf("slot %d (%s) of %s", i, info.ID, p.name)
	if d.ID != uint64(i) {
		return fmt.Errorf("checking %s: descriptor id is %d: %w", name, d.ID, ErrSlotTable)
	}
	if info.Size != int64(d.Size) {
		return fmt.Errorf("checking %s: descriptor size %d, the metadata says %d: %w", name, d.Size, info.Size, ErrSlotTable)
	}
	if sum, ok := info.SHA256(); ok && ChecksumPrefix(sum) != d.Checksum {
		return fmt.Errorf("checking %s: descriptor checksum %016x is not the prefix of the metadata's %s: %w", name, d.Checksum, info.Checksum, ErrSlotChecksum)
	}
	if in := p.meta.Integrity; in != nil {
		if i >= len(in.Descriptors) {
			return fmt.Errorf("checking %s: the metadata pins %d descriptors: %w", name, len(in.Descriptors), ErrSlotTable)
		}
		pinned := d
		pinned.Offset = 0
		got, _ := pinned.MarshalBinary()
		if want, err := hex.DecodeString(in.Descriptors[i]); err != nil || !bytes.Equal(got, want) {
			return fmt.Errorf("checking %s: descriptor bytes differ from the ones pinned in the metadata: %w", name, ErrSlotTable)
		}
	}
	return nil
}

// region is a byte range of the file the layout accounts for.
type region struct {
	what     string
	off, end uint64
}

// regions returns the launcher, metadata, slot table and slots, sorted by offset.
func (p *Package) regions() []region {
	x := &p.index
	rs := []region{
		{"launcher", 0, x.LauncherSize},
		{"metadata", x.MetadataOffset, x.MetadataOffset + x.MetadataSize},
		{"slot table", x.SlotTableOffset, x.SlotTableOffset + x.SlotTableSize},
	}
	for i, d := range p.descs {
		rs = append(rs, region{fmt.Sprintf("slot %d", i), d.Offset, d.Offset + d.Size})
	}
	sort.SliceStable(rs, func(a, b int) bool { return rs[a].off < rs[b].off })
	return rs
}

// checkHeaderLayout is the strict hygiene that needs no slot bytes: zero flags and reserved index
// bytes, zero reserved descriptor bytes, no overlapping regions.
func (p *Package) checkHeaderLayout() error {
	if !p.runs(checkLayout) {
		return nil
	}
	fail := func(format string, args ...any) error {
		return p.outcome(checkLayout, "layout", fmt.Errorf("checking layout of %s: "+format+": %w", append(append([]any{p.name}, args...), ErrLayout)...))
	}
	if p.index.Flags != 0 {
		return fail("flags are 0x%x", p.index.Flags)
	}
	for _, r := range reservedRanges {
		if !allZero(p.rawIndex[r[0]:r[1]]) {
			return fail("reserved index bytes %d..%d are not zero", r[0], r[1])
		}
	}
	for i, d := range p.descs {
		if d.Platform != 0 || d.Reserved1 != 0 || d.Reserved2 != 0 {
			return fail("slot %d has non-zero reserved descriptor bytes", i)
		}
	}
	if p.index.LauncherSize > p.body() {
		return fail("launcher_size %d is past the body", p.index.LauncherSize)
	}
	var prev *region
	for _, r := range p.regions() {
		if r.off == r.end {
			continue
		}
		if prev != nil && r.off < prev.end {
			return fail("%s overlaps %s", r.what, prev.what)
		}
		prev = &r
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
