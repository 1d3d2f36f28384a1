package elfcore

import (
	"fmt"

	"github.com/procsnap/procsnap/format"
)

// threadNotes are one thread's notes: NT_PRSTATUS, then NT_PRFPREG and
// NT_X86_XSTATE when they were captured.
type threadNotes struct {
	tid    int
	status note
	fp     []note
}

// buildThreads turns the archive's thread records into notes, the current
// thread first: the thread-group leader (TID == pid) when it was captured,
// else the first thread record. A thread without usable general-purpose
// registers, or whose TID repeats an earlier one, is left out with a
// warning: gdb lists one thread per NT_PRSTATUS. xs puts NT_X86_XSTATE in
// gdb's layout.
func buildThreads(pid, ppid int, ts []format.Thread, xs *xstateConv, warn *warnings) []threadNotes {
	var out []threadNotes
	seen := make(map[int]bool, len(ts))
	for _, t := range leaderFirst(pid, ts) {
		if seen[t.TID] {
			warn.add("thread %d: a second thread record with this TID; left out", t.TID)
			continue
		}
		seen[t.TID] = true
		tn, err := threadNote(t, ppid, xs, warn)
		if err != nil {
			warn.add("thread %d: %v; thread left out of the core", t.TID, err)
			continue
		}
		out = append(out, tn)
	}
	if len(out) == 0 {
		warn.add("no thread has general-purpose registers: gdb will show no threads and no backtrace")
	}
	return out
}

// leaderFirst returns ts with the thread whose TID is pid moved to the
// front, or ts unchanged when there is none.
func leaderFirst(pid int, ts []format.Thread) []format.Thread {
	for i, t := range ts {
		if t.TID == pid {
			out := make([]format.Thread, 0, len(ts))
			out = append(out, t)
			out = append(out, ts[:i]...)
			return append(out, ts[i+1:]...)
		}
	}
	return ts
}

func threadNote(t format.Thread, ppid int, conv *xstateConv, warn *warnings) (threadNotes, error) {
	regs, ok := t.RegSet(ntPrstatus)
	if !ok {
		return threadNotes{}, fmt.Errorf("no NT_PRSTATUS register set")
	}
	if len(regs) != userRegsSize {
		return threadNotes{}, fmt.Errorf("NT_PRSTATUS register set of %d bytes, want %d (x86-64 user_regs_struct)", len(regs), userRegsSize)
	}
	tn := threadNotes{tid: t.TID}
	fpvalid := false
	if fp, ok := t.RegSet(ntPrfpreg); ok {
		if len(fp) == fpregsSize {
			tn.fp = append(tn.fp, note{name: "CORE", typ: ntPrfpreg, desc: fp})
			fpvalid = true
		} else {
			warn.add("thread %d: NT_PRFPREG of %d bytes, want %d; left out", t.TID, len(fp), fpregsSize)
		}
	}
	if xs, ok := t.RegSet(ntX86Xstate); ok {
		if len(xs) >= xstateMinSize {
			tn.fp = append(tn.fp, note{name: "LINUX", typ: ntX86Xstate, desc: conv.convert(t.TID, xs)})
		} else {
			warn.add("thread %d: NT_X86_XSTATE of %d bytes, below the %d of an xsave area; left out", t.TID, len(xs), xstateMinSize)
		}
	}
	tn.status = prstatus(t.TID, ppid, regs, fpvalid)
	return tn, nil
}

// orderNotes lays the notes out in the kernel's order: the current
// thread's NT_PRSTATUS, the process notes, the current thread's FP notes,
// then each other thread's NT_PRSTATUS and FP notes.
func orderNotes(threads []threadNotes, process []note) []note {
	var out []note
	if len(threads) > 0 {
		out = append(out, threads[0].status)
	}
	out = append(out, process...)
	for i, t := range threads {
		if i > 0 {
			out = append(out, t.status)
		}
		out = append(out, t.fp...)
	}
	return out
}

// maxWarnings bounds the warnings kept; the rest are counted.
const maxWarnings = 100

// warnings collects what Plan left out or changed, for the examiner.
type warnings struct {
	list    []string
	dropped int
}

func (w *warnings) add(format string, a ...any) {
	if len(w.list) >= maxWarnings {
		w.dropped++
		return
	}
	w.list = append(w.list, fmt.Sprintf(format, a...))
}

func (w *warnings) all() []string {
	out := append([]string(nil), w.list...)
	if w.dropped > 0 {
		out = append(out, fmt.Sprintf("%d more warnings not shown", w.dropped))
	}
	return out
}
