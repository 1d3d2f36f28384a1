package procfs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Mapping is one line of /proc/PID/maps: a virtual memory area of the process.
type Mapping struct {
	Start, End uint64 // the area is [Start, End)
	Perms      string // four letters, "r-xp": read, write, execute, then p(rivate) or s(hared)
	Offset     uint64 // file offset of Start, in bytes
	DevMajor   uint32 // device of the backing file, 0:0 for anonymous memory
	DevMinor   uint32
	Inode      uint64 // inode of the backing file, 0 for anonymous memory

	// Path is the name after the fields exactly as the kernel printed it: repeated and
	// trailing spaces, a " (deleted)" suffix and the "\012" escape of a newline are all kept.
	// It is empty for anonymous memory without a name.
	Path string
	// Deleted reports that Path ends in " (deleted)": the kernel's mark for a file unlinked
	// since it was mapped (also memfd and SysV shared memory). A file whose name really ends
	// that way looks the same; only the inode tells them apart.
	Deleted bool
	// Line is the line verbatim, without its newline.
	Line string
}

const deletedSuffix = " (deleted)"

// mapsPadWidth is the field width show_vma_header_prefix sets (seq_setwidth) on a 64-bit
// kernel: 25 + 6*sizeof(void *) - 1. Before a path, seq_pad fills the line with spaces up to
// this width and then writes one more, so a path starts at byte 73, or one space after the
// inode if the fields are longer than the width.
const mapsPadWidth = 72

// Readable reports whether the area is mapped with read permission.
func (m Mapping) Readable() bool { return m.perm(0, 'r') }

// Writable reports whether the area is mapped with write permission.
func (m Mapping) Writable() bool { return m.perm(1, 'w') }

// Executable reports whether the area is mapped with execute permission.
func (m Mapping) Executable() bool { return m.perm(2, 'x') }

// Shared reports whether the area is a shared mapping (VM_MAYSHARE).
func (m Mapping) Shared() bool { return m.perm(3, 's') }

func (m Mapping) perm(i int, c byte) bool { return len(m.Perms) > i && m.Perms[i] == c }

// Size is the length of the area in bytes.
func (m Mapping) Size() uint64 { return m.End - m.Start }

// Kind classifies a mapping by its path.
type Kind uint8

const (
	KindAnon     Kind = iota // anonymous memory: no path, or a name set with PR_SET_VMA_ANON_NAME
	KindFile                 // a file, memfd, SysV segment or anon_inode: Path is its name
	KindHeap                 // [heap], the brk area
	KindStack                // [stack] of the main thread ([stack:TID] on kernels before 4.5)
	KindVdso                 // [vdso]
	KindVvar                 // [vvar], [vvar_vclock]: readable per maps, yet reads fail (EIO)
	KindVsyscall             // [vsyscall], at ffffffffff600000, execute-only on modern kernels
	KindSpecial              // any other bracketed name, such as [uprobes]
)

var kindNames = [...]string{"anon", "file", "heap", "stack", "vdso", "vvar", "vsyscall", "special"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Kind classifies m by its path. A file's path from d_path never begins with '[', so a
// bracketed name is always one the kernel gave.
func (m Mapping) Kind() Kind {
	p := m.Path
	if p == "" {
		return KindAnon
	}
	if len(p) < 2 || p[0] != '[' || p[len(p)-1] != ']' {
		return KindFile
	}
	name := p[1 : len(p)-1]
	switch {
	case name == "heap":
		return KindHeap
	case name == "stack", strings.HasPrefix(name, "stack:"):
		return KindStack
	case name == "vdso":
		return KindVdso
	case name == "vvar", name == "vvar_vclock":
		return KindVvar
	case name == "vsyscall":
		return KindVsyscall
	case strings.HasPrefix(name, "anon:"), strings.HasPrefix(name, "anon_shmem:"):
		return KindAnon
	}
	return KindSpecial
}

// String formats m the way the kernel prints a maps line. For a Mapping returned by the
// parser it equals m.Line.
func (m Mapping) String() string {
	s := fmt.Sprintf("%08x-%08x %s %08x %02x:%02x %d ",
		m.Start, m.End, m.Perms, m.Offset, m.DevMajor, m.DevMinor, m.Inode)
	if m.Path == "" {
		return s
	}
	return s + strings.Repeat(" ", max(mapsPadWidth-len(s), 0)) + " " + m.Path
}

// ParseMaps parses the contents of a maps file. Empty contents (a kernel thread, a zombie)
// give no mappings. A line that does not parse is a *ParseError and no mappings are returned.
func ParseMaps(raw []byte) ([]Mapping, error) {
	text := string(raw) // one copy; every Line, Perms and Path below points into it
	if text == "" {
		return nil, nil
	}
	if perr := unterminated(text); perr != nil {
		return nil, perr
	}
	maps := make([]Mapping, 0, strings.Count(text, "\n"))
	n := 0
	for line := range strings.SplitSeq(text[:len(text)-1], "\n") {
		n++
		m, reason := parseMapping(line)
		if reason != "" {
			return nil, &ParseError{Line: n, Text: line, Reason: reason}
		}
		maps = append(maps, m)
	}
	return maps, nil
}

// mapsTries is how many times Maps reads a listing that comes out of address order before it
// gives up (MapsRunning: mends it). Tears are rare (about one read in 20,000 of a target that
// remaps every 200 µs), so a second read is nearly always whole.
const mapsTries = 8

// ErrMapsChanging is wrapped by the error of Maps when every read of the listing came out
// of address order: the process's mappings kept changing while the kernel printed them.
var ErrMapsChanging = errors.New("the memory map kept changing while it was read")

// Maps reads and parses /proc/PID/maps. It returns the raw bytes even when they do not parse,
// so that the evidence is kept.
//
// The kernel prints the listing a page of text at a time, dropping its lock between pages,
// and recent kernels (6.18 here) take only each mapping's own lock while they print it, not
// the whole address space's: a process that changes its mappings meanwhile can get a listing
// that shows one mapping twice, before and after the change. (Seen on 6.18 within a single read: "7f80023eb000-7f80023f5000"
// followed by "7f80023eb000-7f80023ff000", an mremap growing the mapping in place.) Maps reads
// again until the lines come in address order, without overlaps, and after mapsTries torn
// listings fails with an error wrapping ErrMapsChanging. A stopped process gets its listing
// on the first read; a running one should use MapsRunning.
func (fs FS) Maps(pid int) (raw []byte, maps []Mapping, err error) {
	path := fs.pidPath(pid, "maps")
	for range mapsTries {
		raw, err = readBounded(path, maxMaps)
		if err != nil {
			return nil, nil, err
		}
		maps, err = ParseMaps(raw)
		if err != nil {
			return raw, maps, withFile(err, path)
		}
		if Torn(maps) < 0 {
			return raw, maps, nil
		}
	}
	i := Torn(maps)
	return raw, maps, fmt.Errorf("read %s: %w: %d listings in a row showed a mapping out of address order (line %d: %q after %q)",
		path, ErrMapsChanging, mapsTries, i+1, maps[i].Line, maps[i-1].Line)
}

// MapsRunning is Maps for a process that runs, where a listing only guides what to read
// next: one that stays torn after the retries is mended (Mend) rather than refused.
func (fs FS) MapsRunning(pid int) ([]Mapping, error) {
	_, maps, err := fs.Maps(pid)
	if errors.Is(err, ErrMapsChanging) {
		maps, _ = Mend(maps)
		return maps, nil
	}
	return maps, err
}

// Torn returns the index of the first mapping that starts before the one before it ended
// (which maps never shows of one instant), or -1 if the listing is in address order.
func Torn(maps []Mapping) int {
	for i := 1; i < len(maps); i++ {
		if maps[i].Start < maps[i-1].End {
			return i
		}
	}
	return -1
}

// Mend makes a torn listing ordered: each mapping drops the ones before it that it
// overlaps, so of two lines that overlap the later stays, which the kernel printed after the
// earlier one (in the tear above, the mapping as mremap grew it). It returns the mended listing (maps itself, reused) and how many were dropped.
func Mend(maps []Mapping) ([]Mapping, int) {
	out := maps[:0]
	dropped := 0
	for _, m := range maps {
		for len(out) > 0 && out[len(out)-1].End > m.Start {
			out = out[:len(out)-1]
			dropped++
		}
		out = append(out, m)
	}
	return out, dropped
}

// parseMapsLine parses one maps line, given without its newline. It accepts exactly what the
// kernel prints, so that String of the result reproduces the line; anything else is a
// *ParseError.
func parseMapsLine(line string) (Mapping, error) {
	m, reason := parseMapping(line)
	if reason != "" {
		return Mapping{}, &ParseError{Text: line, Reason: reason}
	}
	return m, nil
}

// parseMapping is parseMapsLine with the error as a reason, "" when the line parses.
func parseMapping(line string) (Mapping, string) {
	if strings.IndexByte(line, '\n') >= 0 {
		return Mapping{}, "newline inside a line"
	}
	var f [5]string // range, perms, offset, device, inode: each followed by one space
	rest := line
	for i := range f {
		var ok bool
		if f[i], rest, ok = strings.Cut(rest, " "); !ok {
			return Mapping{}, "fewer than five fields, each followed by a space"
		}
	}
	m := Mapping{Perms: f[1], Line: line}
	var ok bool
	if m.Start, m.End, ok = parseRange(f[0]); !ok {
		return Mapping{}, "address range is not start-end in lowercase hex, start below end"
	}
	if !validPerms(m.Perms) {
		return Mapping{}, "permissions are not [r-][w-][x-][ps]"
	}
	if m.Offset, ok = parseHexField(f[2], 8, 64); !ok {
		return Mapping{}, "offset is not lowercase hex"
	}
	if m.DevMajor, m.DevMinor, ok = parseDevice(f[3]); !ok {
		return Mapping{}, "device is not major:minor in lowercase hex"
	}
	if m.Inode, ok = parseDecField(f[4]); !ok {
		return Mapping{}, "inode is not a decimal number"
	}
	path, reason := parseMapsPath(line, len(line)-len(rest))
	if reason != "" {
		return Mapping{}, reason
	}
	m.Path, m.Deleted = path, strings.HasSuffix(path, deletedSuffix)
	return m, ""
}

// parseRange parses "start-end", start below end.
func parseRange(s string) (start, end uint64, ok bool) {
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, false
	}
	start, ok1 := parseHexField(lo, 8, 64)
	end, ok2 := parseHexField(hi, 8, 64)
	return start, end, ok1 && ok2 && start < end
}

// parseDevice parses "major:minor".
func parseDevice(s string) (major, minor uint32, ok bool) {
	ma, mi, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, false
	}
	major64, ok1 := parseHexField(ma, 2, 32)
	minor64, ok2 := parseHexField(mi, 2, 32)
	return uint32(major64), uint32(minor64), ok1 && ok2
}

// parseMapsPath returns the path of line, whose fields take its first prefix bytes (the last
// one a space). Exactly the kernel's padding is removed; everything after it is the path.
func parseMapsPath(line string, prefix int) (path string, reason string) {
	if prefix == len(line) {
		return "", "" // no name: the line ends with the space after the inode
	}
	col := max(prefix, mapsPadWidth) + 1
	if strings.Trim(line[prefix:min(col, len(line))], " ") != "" {
		return "", fmt.Sprintf("path starts before column %d", col)
	}
	if len(line) == col {
		return "", "padding after the inode but no path"
	}
	if len(line) < col {
		return "", fmt.Sprintf("padding ends before column %d", col)
	}
	return line[col:], ""
}

// validPerms reports whether p is one of the sixteen permission strings the kernel prints.
func validPerms(p string) bool {
	return len(p) == 4 &&
		(p[0] == 'r' || p[0] == '-') &&
		(p[1] == 'w' || p[1] == '-') &&
		(p[2] == 'x' || p[2] == '-') &&
		(p[3] == 'p' || p[3] == 's')
}

// parseHexField parses s as seq_put_hex_ll prints a number of bits bits (32 or 64):
// lowercase hex, zero-padded to width digits, with no leading zero beyond them.
func parseHexField(s string, width, bits int) (uint64, bool) {
	if len(s) < width || len(s) > bits/4 || (len(s) > width && s[0] == '0') {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			v = v<<4 | uint64(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// parseDecField parses s as the kernel prints an unsigned 64-bit decimal: digits, no leading
// zero.
func parseDecField(s string) (uint64, bool) {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
