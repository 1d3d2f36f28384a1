package elfcore

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/procsnap/procsnap/format"
)

// Export plans the core for r and writes it to w.
func Export(ctx context.Context, w io.Writer, r *format.Reader) (Summary, error) {
	c, err := Plan(r)
	if err != nil {
		return Summary{}, err
	}
	return c.Summary(), c.Write(ctx, w)
}

// sink writes sequentially and keeps the offset, so that every part can be
// checked against the offset the plan gave it.
type sink struct {
	bw  *bufio.Writer
	off uint64
}

func (s *sink) write(b []byte) error {
	n, err := s.bw.Write(b)
	s.off += uint64(n)
	return err
}

var zeroBuf [64 << 10]byte

func (s *sink) zeros(n uint64) error {
	for n > 0 {
		k := min(n, uint64(len(zeroBuf)))
		if err := s.write(zeroBuf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// at checks that the sink is where the plan put the next part.
func (s *sink) at(want uint64, what string) error {
	if s.off != want {
		return fmt.Errorf("internal error: %s at offset %d, planned at %d", what, s.off, want)
	}
	return nil
}

// Write writes the planned core to w, strictly sequentially: it never
// seeks, so w may be a pipe. Region data is read chunk by chunk. A damaged
// chunk stops the export with an error naming the region.
func (c *Core) Write(ctx context.Context, w io.Writer) error {
	s := &sink{bw: bufio.NewWriterSize(w, 1<<20)}
	if err := c.writeHeaders(s); err != nil {
		return err
	}
	if err := c.writeNotes(s); err != nil {
		return err
	}
	if err := s.zeros(c.dataOff - s.off); err != nil {
		return err
	}
	for segs := c.segs; len(segs) > 0; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := 1 // the segments of one region are consecutive
		for n < len(segs) && segs[n].region == segs[0].region {
			n++
		}
		if err := c.writeRegion(ctx, s, segs[:n]); err != nil {
			return err
		}
		segs = segs[n:]
	}
	if err := s.bw.Flush(); err != nil {
		return err
	}
	return s.at(c.size, "end of file")
}

// writeHeaders writes the ELF header, the program headers (PT_NOTE first)
// and, with PN_XNUM, section header 0.
func (c *Core) writeHeaders(s *sink) error {
	phnum := uint64(len(c.segs)) + 1
	h := elfHeader{Type: etCore, Machine: emX86_64, Version: evCurrent,
		Phoff: ehdrSize, Ehsize: ehdrSize, Phentsize: phdrSize, Phnum: uint16(phnum)}
	if c.xnum {
		h.Phnum, h.Shoff, h.Shentsize, h.Shnum, h.Shstrndx = pnXNum, ehdrSize+phnum*phdrSize, shdrSize, 1, shnUndef
	}
	b := h.appendTo(make([]byte, 0, 4096))
	b = progHeader{Type: ptNote, Offset: c.notesOff, Filesz: c.notesLen, Align: noteAlign}.appendTo(b)
	for _, sg := range c.segs {
		ph := progHeader{Type: ptLoad, Flags: sg.flags, Offset: sg.offset, Vaddr: sg.vaddr,
			Memsz: sg.memsz, Align: c.pageSize}
		if sg.data {
			ph.Filesz = sg.memsz
		}
		b = ph.appendTo(b)
		if len(b) >= 64<<10 {
			if err := s.write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	if c.xnum {
		b = sectHeader{Info: uint32(phnum)}.appendTo(b)
	}
	if err := s.write(b); err != nil {
		return err
	}
	return s.at(c.notesOff, "notes")
}

func (c *Core) writeNotes(s *sink) error {
	var b []byte
	for _, n := range c.notes {
		b = n.appendTo(b[:0])
		if err := s.write(b); err != nil {
			return err
		}
	}
	return s.at(c.notesOff+c.notesLen, "end of notes")
}

// writeRegion writes the bytes of one region's data segments, reading the
// region once in address order. Runs in holes are skipped. Runs never
// straddle segments: both are cut at the same span boundaries.
func (c *Core) writeRegion(ctx context.Context, s *sink, segs []segment) error {
	lo, hi := -1, -1 // the region's first and last data segments
	for i, sg := range segs {
		if sg.data {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	if lo < 0 {
		return nil
	}
	rw := &regionWriter{ctx: ctx, s: s, segs: segs[lo : hi+1], next: segs[lo].vaddr}
	end := segs[hi].end()
	err := c.r.ReadRange(segs[lo].region, segs[lo].vaddr, end, rw.run)
	if err == nil && rw.next != end {
		err = fmt.Errorf("archive runs end at %#x, want %#x", rw.next, end)
	}
	if err == nil || rw.werr != nil || ctx.Err() != nil {
		return err
	}
	d := segs[lo].region.Desc
	return fmt.Errorf("region %d (%#x-%#x): %w (run 'procsnap verify' on the archive)", d.Index, d.Start, d.End, err)
}

// regionWriter takes one region's runs from ReadRange and writes those
// that fall in data segments.
type regionWriter struct {
	ctx  context.Context
	s    *sink
	segs []segment
	i    int    // the segment holding the current run
	next uint64 // where the next run must start
	werr error  // an output error, returned as it is
}

// run writes chunk data and zero pages as they are, zero fills planned as
// data as zeros.
func (w *regionWriter) run(run format.Run) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	for w.i < len(w.segs) && run.Start >= w.segs[w.i].end() {
		w.i++
	}
	if run.Start != w.next || run.End < run.Start || w.i == len(w.segs) || run.End > w.segs[w.i].end() {
		return fmt.Errorf("archive run %#x-%#x does not follow %#x inside a planned segment", run.Start, run.End, w.next)
	}
	w.next = run.End
	sg := w.segs[w.i]
	if !sg.data {
		return nil
	}
	if want := sg.offset + (run.Start - sg.vaddr); w.s.off != want {
		return fmt.Errorf("internal error: %#x at offset %d, planned at %d", run.Start, w.s.off, want)
	}
	switch n := run.End - run.Start; {
	case run.Data != nil && uint64(len(run.Data)) == n:
		w.werr = w.s.write(run.Data)
	case run.Data == nil && run.State == format.PageZero:
		w.werr = w.s.zeros(n)
	default:
		return fmt.Errorf("%s pages at %#x-%#x where data was planned", run.State, run.Start, run.End)
	}
	return w.werr
}
