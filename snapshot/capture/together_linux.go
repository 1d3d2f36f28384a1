package capture

import (
	"context"
	"fmt"
)

// Together captures several processes at one instant (a server and its
// workers sharing memory): each is pre-copied in turn while they all run,
// then every one is frozen, each one's final pass runs, all are thawed,
// and each archive is finished. Every archive thus shows its process at an
// instant when all of them were frozen. The memory bound (BufferSize, or
// half of MemAvailable) is shared among them; with ModeWhole, Together
// refuses to start when the processes' readable memory exceeds it. A
// process that cannot be captured does not stop the others. The targets
// are thawed in every case.
func Together(ctx context.Context, targets []Target, opts Options) []Outcome {
	out := make([]Outcome, len(targets))
	if err := opts.defaults(); err != nil {
		return fillOutcomes(out, err)
	}
	sessions := make([]*session, len(targets))
	for i, t := range targets {
		sessions[i] = newSession(t.PID, opts)
		defer sessions[i].release()
	}
	if err := shareBudget(sessions, &opts); err != nil {
		return fillOutcomes(out, err)
	}
	live := startAll(ctx, sessions, targets, out)
	for _, s := range sessions {
		defer s.thaw()
	}
	live = freezeAll(ctx, sessions, live, out)
	type final struct {
		fp *finalPass
		em *emitter
	}
	finals := map[int]final{}
	for _, i := range live {
		fp, em, e := sessions[i].finalState(ctx)
		if e != nil {
			out[i] = Outcome{e.res, e.err}
			continue
		}
		finals[i] = final{fp, em}
	}
	thawed := make([]error, len(sessions))
	for _, i := range live {
		thawed[i] = sessions[i].thaw()
	}
	for _, i := range live {
		if f, ok := finals[i]; ok {
			res, err := sessions[i].afterThaw(ctx, f.fp, f.em, thawed[i])
			out[i] = Outcome{res, err}
		}
	}
	return out
}

// shareBudget divides the memory bound among the sessions, and refuses a
// ModeWhole capture whose readable memory exceeds it.
func shareBudget(sessions []*session, opts *Options) error {
	total := sessions[0].budget()
	if opts.Mode == ModeWhole {
		var need int64
		for _, s := range sessions {
			need += s.planNeed()
		}
		if need > total {
			return fmt.Errorf("capturing these processes together with --freeze=whole holds %d MiB under the freeze, more than the %d MiB allowed (--buffer, or half of MemAvailable): use the pre-copy, raise --buffer, or capture them one at a time", need>>20, total>>20)
		}
	}
	for _, s := range sessions {
		s.opts.BufferSize = max(total/int64(len(sessions)), MinBufferSize)
	}
	return nil
}

// startAll pre-copies each target; it returns the indexes still going.
func startAll(ctx context.Context, sessions []*session, targets []Target, out []Outcome) []int {
	var live []int
	for i, s := range sessions {
		if e := s.start(ctx, targets[i].W); e != nil {
			out[i] = Outcome{e.res, e.err}
			continue
		}
		live = append(live, i)
	}
	return live
}

// freezeAll freezes every live target; it returns those frozen.
func freezeAll(ctx context.Context, sessions []*session, live []int, out []Outcome) []int {
	var frozen []int
	for _, i := range live {
		if e := sessions[i].freezeOrEnd(ctx); e != nil {
			out[i] = Outcome{e.res, e.err}
			continue
		}
		frozen = append(frozen, i)
	}
	return frozen
}

func fillOutcomes(out []Outcome, err error) []Outcome {
	for i := range out {
		out[i].Err = err
	}
	return out
}
