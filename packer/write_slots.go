package packer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/progress"
)

// minStoredSlot is the shortest stored slot FlavorPack's Go launcher reads correctly.
const minStoredSlot = 16

// encodeSlots encodes every slot into spool, each starting at a multiple of 8 relative to the
// spool's start (the slot area starts 8-aligned in the package, so the slots stay aligned). It
// returns the outputs and the spool length, which ends right after the last slot.
func encodeSlots(ctx context.Context, spool *os.File, slots []Slot, epoch *time.Time, o *options) ([]slotOutput, int64, error) {
	outs := make([]slotOutput, len(slots))
	var pos int64
	for i, sl := range slots {
		if pad := alignUp(pos) - pos; pad > 0 {
			if _, err := spool.Write(make([]byte, pad)); err != nil {
				return nil, 0, err
			}
			pos += pad
		}
		o.report(progress.Event{Stage: StageSlot, Slot: sl.ID, Index: i})
		out, err := encodeSlot(ctx, spool, i, sl, epoch, o)
		if err != nil {
			return nil, 0, fmt.Errorf("encoding slot %d (%s): %w", i, sl.ID, err)
		}
		out.rel = pos
		pos += out.size
		outs[i] = out
		o.report(progress.Event{Stage: StageSlotDone, Slot: sl.ID, Index: i, Done: out.size})
		o.logger.Debug("encoded slot", "slot", i, "id", sl.ID, "operations", out.chain.String(),
			"input", out.original, "stored", out.size)
	}
	return outs, pos, nil
}

// hashWriter hashes and counts what passes through it.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (h *hashWriter) Write(b []byte) (int, error) {
	n, err := h.w.Write(b)
	h.h.Write(b[:n])
	h.n += int64(n)
	return n, err
}

func encodeSlot(ctx context.Context, out io.Writer, i int, sl Slot, epoch *time.Time, o *options) (slotOutput, error) {
	res := slotOutput{chain: append(ops.Chain{}, sl.Operations...), source: sl.Source, target: sl.Target, perm: sl.Permissions}
	var (
		input io.Reader // nil when a directory is tarred
		isDir bool
	)
	if sl.Reader != nil {
		input = ctxReader{ctx, sl.Reader}
		if res.source == "" {
			res.source = "stream"
		}
		if res.perm == 0 {
			res.perm = 0o600
		}
	} else {
		st, err := os.Stat(sl.Path)
		if err != nil {
			return res, err
		}
		isDir = st.IsDir()
		if res.source == "" {
			res.source = filepath.Base(sl.Path)
		}
		if res.perm == 0 {
			res.perm = st.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		}
		if isDir && sl.Operations == nil {
			res.chain = ops.Chain{ops.Tar, ops.Zstd}
		}
		if isDir && !res.chain.HasTar() {
			return res, fmt.Errorf("%s is a directory but operations %q do not start with tar: %w", sl.Path, res.chain, ErrInvalidInput)
		}
		if !isDir {
			f, err := os.Open(sl.Path)
			if err != nil {
				return res, err
			}
			defer f.Close()
			input = ctxReader{ctx, f}
		}
	}
	if res.target == "" {
		if res.chain.HasTar() {
			res.target = "{workenv}"
		} else {
			res.target = filepath.Base(res.source)
		}
	}
	if input != nil {
		var err error
		if input, err = checkInput(input, &res.chain); err != nil {
			return res, err
		}
	}

	hw := &hashWriter{w: out, h: sha256.New()}
	enc, err := encodeChain(hw, res.chain, o.concurrency)
	if err != nil {
		return res, err
	}
	var sink io.Writer = enc
	var tap io.WriteCloser
	if o.tap != nil {
		if tap = o.tap(TapSlot{Index: i, ID: sl.ID, Target: res.target, Tar: res.chain.HasTar()}); tap != nil {
			sink = io.MultiWriter(enc, tap)
		}
	}
	pw := &progressWriter{o: o, u: progress.Event{Stage: StageSlot, Slot: sl.ID, Index: i}, w: sink, next: progressStep}
	switch {
	case isDir && o.noSlotRule:
		err = writeTar(ctx, pw, sl.Path, epoch)
	case isDir:
		err = writeTarRule(ctx, pw, sl.Path, epoch, sl.TreeRoot)
	case res.chain.HasTar() && !o.noSlotRule:
		var rule *slotRule
		if rule, err = newSlotRule(sl.TreeRoot); err == nil {
			err = copyTarWithRule(ctx, pw, input, rule)
		}
	default:
		_, err = io.CopyBuffer(pw, input, make([]byte, 1<<20))
	}
	// The input has all been read: the tap is closed while the encoder compresses its last
	// frames, so what waits for the tap (the SBOM documents) can start meanwhile.
	closed := make(chan error, 1)
	go func() { closed <- enc.Close() }()
	var terr error
	if tap != nil {
		terr = tap.Close()
	}
	if cerr := <-closed; err == nil {
		err = cerr
	}
	if err == nil && terr != nil {
		err = fmt.Errorf("slot tap: %w", terr)
	}
	if err != nil {
		return res, err
	}
	res.original, res.size = pw.total, hw.n
	copy(res.sum[:], hw.h.Sum(nil))
	return res, nil
}

// checkInput looks at the start of a stream: a tar chain needs a tar stream, and a raw stream
// under 16 bytes gets the gzip operation (see Slot.Operations).
func checkInput(r io.Reader, chain *ops.Chain) (io.Reader, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	head = head[:n]
	if chain.HasTar() && !looksLikeTar(head) {
		return nil, fmt.Errorf("operations start with tar but the input is %w", errNotTar)
	}
	if len(*chain) == 0 && n < minStoredSlot {
		*chain = ops.Chain{ops.Gzip}
	}
	return io.MultiReader(bytes.NewReader(head), r), nil
}

// looksLikeTar reports whether a header block carries the ustar magic at offset 257 (USTAR, PAX
// and GNU archives all do).
func looksLikeTar(head []byte) bool {
	return len(head) >= 262 && string(head[257:262]) == "ustar"
}
