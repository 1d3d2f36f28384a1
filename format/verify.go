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
	for _, g := range r.regions {
		if ctx.Err() != nil {
			res.Problems = append(res.Problems, Problem{-1, 0, "verification interrupted: " + ctx.Err().Error()})
			break
		}
		res.Problems = append(res.Problems, r.verifyRegion(ctx, g)...)
		res.RegionsChecked++
	}
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
// and counters against the footer.
func (r *Reader) verifyRegion(ctx context.Context, g *Region) []Problem {
	spans := g.Spans()
	checks := make([]spanCheck, len(spans))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, s := range spans {
		if !s.chunk || ctx.Err() != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			h, _, err := r.chunkData(g, s, false)
			if err != nil {
				checks[i].problem = &Problem{g.Desc.Index, s.off, reason(err)}
				return
			}
			checks[i].hashes, checks[i].states = h.Hashes, h.States
		}()
	}
	wg.Wait()
	var out []Problem
	for _, c := range checks {
		if c.problem != nil {
			out = append(out, *c.problem)
		}
	}
	if g.Footer == nil {
		return out // truncated: incomplete, already reported by Complete
	}
	if len(out) == 0 {
		out = append(out, r.checkFooter(g, spans, checks)...)
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
