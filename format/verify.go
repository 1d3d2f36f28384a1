package format

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// Problem is one thing Verify found wrong: the region (-1 for none), the
// archive offset, and what.
type Problem struct {
	Region  int
	Offset  int64
	Problem string
}

// VerifyResult is the outcome of Verify.
type VerifyResult struct {
	OK             bool // no damage and complete
	Complete       bool
	DigestChecked  bool // the trailer's SHA-256 was recomputed
	RegionsChecked int
	Problems       []Problem
}

// Verify recomputes every hash in the archive: the SHA-256 of the whole
// archive against the trailer, every record checksum, every page hash of
// every chunk, and every region hash and counter against its footer.
func (r *Reader) Verify(ctx context.Context) VerifyResult {
	var res VerifyResult
	for _, p := range r.problems {
		res.Problems = append(res.Problems, Problem{p.Region, p.Offset, p.Reason})
	}
	if r.recovered != "" && r.trailer != nil {
		res.Problems = append(res.Problems, Problem{-1, r.trailerAt, "index unusable, archive read by scanning: " + r.recovered})
	}
	var digest chan *Problem
	if r.trailer != nil {
		digest = make(chan *Problem, 1)
		go func() { digest <- r.checkDigest(ctx) }()
		res.DigestChecked = true
	}
	seen := map[int64]bool{}
	for _, g := range r.regions {
		if ctx.Err() != nil {
			res.Problems = append(res.Problems, Problem{-1, 0, "verification interrupted: " + ctx.Err().Error()})
			break
		}
		res.Problems = append(res.Problems, r.verifyRegion(ctx, g, seen)...)
		res.RegionsChecked++
	}
	res.Problems = append(res.Problems, r.verifyPrecopy(ctx, seen)...)
	if digest != nil {
		if p := <-digest; p != nil {
			res.Problems = append(res.Problems, *p)
		}
	}
	res.Complete = r.Complete()
	res.OK = res.Complete && len(res.Problems) == 0
	return res
}

func (r *Reader) checkDigest(ctx context.Context) *Problem {
	h := sha256.New()
	src := io.NewSectionReader(r.ra, 0, r.trailerAt)
	buf := make([]byte, 1<<20)
	for {
		if ctx.Err() != nil {
			return &Problem{-1, 0, "SHA-256 not checked: verification interrupted"}
		}
		n, err := src.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return &Problem{-1, 0, fmt.Sprintf("reading the archive for its SHA-256: %v", err)}
		}
	}
	if got := h.Sum(nil); string(got) != string(r.trailer.SHA256[:]) {
		return &Problem{-1, r.trailerAt, fmt.Sprintf("archive SHA-256 %x does not match the trailer's %x", got, r.trailer.SHA256)}
	}
	return nil
}

// reason is the text of a problem: a CorruptError's reason (its offset
// and region are fields of the Problem), or the error.
func reason(err error) string {
	var ce *CorruptError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return err.Error()
}

// spanCheck is the outcome of checking one span: its page hashes (chunks
// only) or a problem.
type spanCheck struct {
	hashes  []uint64
	states  []PageState
	problem *Problem
}

// verifyRegion checks every chunk of a region in parallel, then its hash
// and counters against the footer. seen collects the chunks checked.
func (r *Reader) verifyRegion(ctx context.Context, g *Region, seen map[int64]bool) []Problem {
	spans := g.Spans()
	heads := r.checkChunks(ctx, g, spans, seen)
	checks := make([]spanCheck, len(spans))
	var out []Problem
	ps := uint64(r.hdr.PageSize)
	for i, s := range spans {
		c, ok := heads[s.off]
		if !s.chunk || !ok {
			continue
		}
		if c.problem != nil {
			if !c.reported {
				out = append(out, *c.problem)
				c.reported = true
			}
			checks[i].problem = c.problem
			continue
		}
		h := c.h.clip(s, ps)
		checks[i].hashes, checks[i].states = h.Hashes, h.States
	}
	if g.Footer == nil {
		return out // truncated: incomplete, already reported by Complete
	}
	if len(out) == 0 {
		out = append(out, r.checkFooter(g, spans, checks)...)
	}
	return out
}

// chunkCheck is a decoded chunk's header, or why it is damaged.
type chunkCheck struct {
	h        chunkHead
	problem  *Problem
	reported bool
}

// checkChunks decodes every chunk the spans show, each once, in parallel:
// record checksum, header, decompression and every page hash.
func (r *Reader) checkChunks(ctx context.Context, g *Region, spans []Span, seen map[int64]bool) map[int64]*chunkCheck {
	out := map[int64]*chunkCheck{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, s := range spans {
		if !s.chunk || out[s.off] != nil || ctx.Err() != nil {
			continue
		}
		c := &chunkCheck{}
		out[s.off] = c
		seen[s.off] = true
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			h, _, err := r.chunkData(g, s, false, nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				c.problem = &Problem{g.Desc.Index, s.off, reason(err)}
				return
			}
			c.h = h
		}()
	}
	wg.Wait()
	return out
}

// verifyPrecopy checks the pre-copy chunks no region's spans showed (their
// pages all changed before the freeze): they are evidence too.
func (r *Reader) verifyPrecopy(ctx context.Context, seen map[int64]bool) []Problem {
	var out []Problem
	for _, g := range r.pre.regions {
		if r.freeze == nil || ctx.Err() != nil {
			break // without a freeze the pre-copy regions are the regions, checked already
		}
		var left []Span
		for _, s := range g.spans {
			if s.chunk && !seen[s.off] {
				left = append(left, s)
			}
		}
		for _, c := range r.checkChunks(ctx, g, left, seen) {
			if c.problem != nil {
				p := *c.problem
				p.Region, p.Problem = -1, fmt.Sprintf("pre-copy region %d: %s", g.Desc.Index, p.Problem)
				out = append(out, p)
			}
		}
	}
	return out
}

// checkFooter recomputes a region's hash and counters from its spans.
func (r *Reader) checkFooter(g *Region, spans []Span, checks []spanCheck) []Problem {
	f := newFooterCheck(int(r.hdr.PageSize))
	var out []Problem
	for i, s := range spans {
		if s.Missing && g.Desc.Skip == "" {
			out = append(out, missingProblem(g.Desc, g.descOff, s.Start, s.End))
		}
		if s.chunk {
			f.chunk(checks[i].states, checks[i].hashes)
		} else {
			f.fill(s.State, s.Start, s.End, g.Desc.Skip != "")
		}
	}
	return append(out, f.compare(g.Desc, g.descOff, g.Footer)...)
}
