package capture

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/procfs"
	"github.com/procsnap/procsnap/snapshot/internal/cpuid"
	"golang.org/x/sys/unix"
)

// userHZ is the unit of /proc/PID/stat start times (USER_HZ, 100 on every
// Linux architecture procsnap supports).
const userHZ = 100

// gatherMeta reads, before the freeze, what the metadata records about the
// target and the host. Nothing here needs the target stopped.
func gatherMeta(pfs procfs.FS, pid int, st procfs.Status, opts Options) *format.Meta {
	m := &format.Meta{ToolVersion: opts.ToolVersion, PID: pid, PPID: st.PPid, State: string(st.State), Note: opts.Note,
		Case: opts.Case, EvidenceID: opts.EvidenceID, Examiner: opts.Examiner, Extra: map[string]string{}}
	for i := range 4 {
		m.UIDs[i], m.GIDs[i] = int(st.Uid[i]), int(st.Gid[i])
	}
	if h, err := pfs.Host(); err == nil {
		m.Host = format.Host{Hostname: h.Hostname, KernelRelease: h.Release, KernelVersion: h.Version,
			Machine: h.Machine, BootID: h.BootID, PageSize: h.PageSize}
		if s, err := pfs.Stat(pid); err == nil && h.BootTime > 0 {
			m.TargetStartTime = time.Unix(h.BootTime, 0).Add(time.Duration(s.StartTime) * time.Second / userHZ).UTC()
		}
	} else {
		m.Extra["host_error"] = err.Error()
	}
	note := func(key string, err error) {
		if err != nil {
			m.Extra[key+"_error"] = err.Error()
		}
	}
	var err error
	m.Comm, err = pfs.Comm(pid)
	note("comm", err)
	_, m.Cmdline, err = pfs.Cmdline(pid)
	note("cmdline", err)
	_, m.Environ, err = pfs.Environ(pid)
	note("environ", err)
	m.Exe, err = pfs.Exe(pid)
	note("exe", err)
	m.ExeSHA256, err = hashExe(pfs, pid)
	note("exe_sha256", err)
	if cwd, err := pfs.Cwd(pid); err == nil {
		m.Extra["cwd"] = cwd
	}
	if root, err := pfs.Root(pid); err == nil {
		m.Extra["root"] = root
	}
	m.Extra["level"] = opts.Level.String()
	m.XSaveLayout = xsaveLayout()
	return m
}

// xsaveLayout records this CPU's XSAVE layout: the NT_X86_XSTATE register
// sets the capture reads are laid out by it, and no other machine can tell
// it afterwards (it differs between CPU vendors).
func xsaveLayout() []format.XSaveComponent {
	var out []format.XSaveComponent
	for _, c := range cpuid.XSaveLayout() {
		out = append(out, format.XSaveComponent{Feature: c.Feature, Offset: c.Offset, Size: c.Size})
	}
	return out
}

// hashExe hashes the executable through /proc/PID/exe, which works even
// when the file was deleted or replaced on disk.
func hashExe(pfs procfs.FS, pid int) (string, error) {
	f, err := pfs.OpenExe(pid)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// monoNow is CLOCK_MONOTONIC in nanoseconds, comparable with the target's
// own clock and across the capture.
func monoNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}
