package procfs

import (
	"errors"
	"math"
	"os"
)

// Host holds facts about the system that capture records for provenance.
type Host struct {
	Hostname string // sys/kernel/hostname, of the reader's UTS namespace
	Release  string // sys/kernel/osrelease, as uname -r prints it
	Version  string // sys/kernel/version, as uname -v prints it
	Machine  string // sys/kernel/arch (Linux 6.1+), else uname(2) of the running kernel
	BootID   string // sys/kernel/random/boot_id: a new UUID at every boot
	BootTime int64  // btime of /proc/stat: the boot time in seconds since the Unix epoch
	PageSize int    // the running system's page size (os.Getpagesize)
}

// Host reads the host facts. Together BootID and BootTime place a process's StartTime.
func (fs FS) Host() (Host, error) {
	h := Host{PageSize: os.Getpagesize()}
	for _, f := range []struct {
		dst  *string
		name string
	}{
		{&h.Hostname, "sys/kernel/hostname"},
		{&h.Release, "sys/kernel/osrelease"},
		{&h.Version, "sys/kernel/version"},
		{&h.BootID, "sys/kernel/random/boot_id"},
	} {
		v, err := readLine(fs.path(f.name))
		if err != nil {
			return Host{}, err
		}
		*f.dst = v
	}
	var err error
	if h.Machine, err = fs.machine(); err != nil {
		return Host{}, err
	}
	if h.BootTime, err = fs.bootTime(); err != nil {
		return Host{}, err
	}
	return h, nil
}

// machine reads sys/kernel/arch, or asks uname(2) on kernels that lack that file.
func (fs FS) machine() (string, error) {
	m, err := readLine(fs.path("sys/kernel/arch"))
	if errors.Is(err, os.ErrNotExist) {
		return unameMachine()
	}
	return m, err
}

// bootTime reads the "btime SECONDS" line of /proc/stat.
func (fs FS) bootTime() (int64, error) {
	path := fs.path("stat")
	raw, err := readBounded(path, maxProcStat)
	if err != nil {
		return 0, err
	}
	text := string(raw)
	if perr := unterminated(text); perr != nil {
		perr.File = path
		return 0, perr
	}
	v, line, n, ok := findLine(text, "btime ")
	if !ok {
		return 0, &ParseError{File: path, Reason: "no btime line"}
	}
	secs, ok := parseDecField(v)
	if !ok || secs > math.MaxInt64 {
		return 0, &ParseError{File: path, Line: n, Text: line, Reason: "btime is not a decimal number"}
	}
	return int64(secs), nil
}
