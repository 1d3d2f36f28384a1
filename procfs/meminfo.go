package procfs

import (
	"fmt"
)

// Meminfo holds the fields of /proc/meminfo that procsnap uses, in bytes.
type Meminfo struct {
	MemTotal     int64 // usable RAM
	MemAvailable int64 // what the kernel estimates can be allocated without swapping; 0 before Linux 3.14
}

// Meminfo reads and parses /proc/meminfo.
func (fs FS) Meminfo() (Meminfo, error) {
	path := fs.path("meminfo")
	raw, err := readBounded(path, maxSmall)
	if err != nil {
		return Meminfo{}, err
	}
	mi, err := parseMeminfo(string(raw))
	return mi, withFile(err, path)
}

// MemAvailable is MemAvailable of /proc/meminfo in bytes, or 0 if it cannot be read.
func (fs FS) MemAvailable() int64 {
	mi, err := fs.Meminfo()
	if err != nil {
		return 0
	}
	return mi.MemAvailable
}

// parseMeminfo parses the text of meminfo. Its lines are "Key:   N kB" (or "Key:   N" for
// counts); only the fields Meminfo holds are parsed, and MemTotal must be there.
func parseMeminfo(text string) (Meminfo, error) {
	var mi Meminfo
	fields := map[string]*int64{"MemTotal": &mi.MemTotal, "MemAvailable": &mi.MemAvailable}
	seen := map[string]bool{}
	err := eachKeyLine(text, func(key, val string) string {
		dst := fields[key]
		if dst == nil {
			return ""
		}
		bytes, ok := parseKB(val)
		if !ok || seen[key] {
			return fmt.Sprintf("bad or repeated %s line (want a number of kB)", key)
		}
		*dst = bytes
		seen[key] = true
		return ""
	})
	if err != nil {
		return Meminfo{}, err
	}
	if !seen["MemTotal"] {
		return Meminfo{}, &ParseError{Reason: "no MemTotal line"}
	}
	return mi, nil
}
