package proto

import (
	"fmt"
	"strconv"
	"strings"
)

// ManifestPath is where the manifest lies in the initramfs.
const ManifestPath = "/kerneltest.json"

// Manifest is what /init runs, in order.
type Manifest struct {
	// Env is the environment of every suite (KEY=VALUE).
	Env    []string `json:"env"`
	Suites []Suite  `json:"suites"`
}

// Suite is one static test binary run in the guest.
type Suite struct {
	Name   string   `json:"name"`   // the package, as the host reports it
	Dir    string   `json:"dir"`    // working directory: the package's directory in the guest tree
	Binary string   `json:"binary"` // absolute path in the guest
	Args   []string `json:"args"`
	Env    []string `json:"env,omitempty"` // added to Manifest.Env for this suite
}

// The console lines, one event each. /init writes them whole with one
// write, so kernel messages on the same console fall between lines, never
// inside one (the host ignores what does not start with Prefix).
const (
	Prefix = "@kt "
	// "@kt info KEY VALUE": a fact about the guest.
	KindInfo = "info"
	// "@kt begin SUITE": the suite's binary starts.
	KindBegin = "begin"
	// "@kt out SUITE TEXT": one line of its output (stdout and stderr).
	KindOut = "out"
	// "@kt end SUITE STATUS SECONDS": it ended with that exit status (-1:
	// killed by a signal or not started) after that many seconds.
	KindEnd = "end"
	// "@kt done FAILED": every suite ran; FAILED of them did not exit 0.
	KindDone = "done"
)

// Line is one parsed console line.
type Line struct {
	Kind    string
	Suite   string // begin, out, end; the key for info
	Text    string // out: the output line; info: the value
	Status  int    // end: exit status; done: suites failed
	Seconds float64
}

// Format renders l as /init prints it (without the newline).
func (l Line) Format() string {
	switch l.Kind {
	case KindInfo, KindOut:
		return Prefix + l.Kind + " " + l.Suite + " " + l.Text
	case KindBegin:
		return Prefix + l.Kind + " " + l.Suite
	case KindEnd:
		return fmt.Sprintf("%s%s %s %d %.3f", Prefix, l.Kind, l.Suite, l.Status, l.Seconds)
	case KindDone:
		return fmt.Sprintf("%s%s %d", Prefix, l.Kind, l.Status)
	}
	return Prefix + "invalid " + l.Kind
}

// Parse parses one console line, with any trailing \r already removed. ok
// is false for lines that are not events (kernel messages, noise).
func Parse(s string) (l Line, ok bool, err error) {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return Line{}, false, nil
	}
	kind, rest, _ := strings.Cut(rest, " ")
	l.Kind = kind
	bad := func() (Line, bool, error) { return Line{}, true, fmt.Errorf("malformed console line %q", s) }
	switch kind {
	case KindInfo, KindOut:
		var found bool
		if l.Suite, l.Text, found = strings.Cut(rest, " "); !found && kind == KindInfo || l.Suite == "" {
			return bad()
		}
	case KindBegin:
		if l.Suite = rest; rest == "" || strings.Contains(rest, " ") {
			return bad()
		}
	case KindEnd:
		f := strings.Fields(rest)
		if len(f) != 3 {
			return bad()
		}
		l.Suite = f[0]
		if l.Status, err = strconv.Atoi(f[1]); err != nil {
			return bad()
		}
		if l.Seconds, err = strconv.ParseFloat(f[2], 64); err != nil {
			return bad()
		}
	case KindDone:
		if l.Status, err = strconv.Atoi(rest); err != nil {
			return bad()
		}
	default:
		return bad()
	}
	return l, true, nil
}

// Exit codes the guest asks of isa-debug-exit; QEMU exits with (code << 1) | 1.
const (
	GuestPassed = 0 // QEMU exits 1
	GuestFailed = 1 // QEMU exits 3
)

// QEMUStatus is QEMU's exit status for a guest exit code.
func QEMUStatus(code int) int { return code<<1 | 1 }
