package main

// Helpers shared by the verbs for what they show people and the files they
// write.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"
)

// clean makes text from an archive safe to print on a terminal: control
// characters, invalid UTF-8 and backslashes are escaped Go-style, so a
// hostile path cannot move the cursor or hide text.
func clean(s string) string {
	ok := true
	for _, c := range s {
		if c == '\\' || c == utf8.RuneError || !unicode.IsPrint(c) && c != ' ' {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case c == '\\':
			b.WriteString(`\\`)
		case unicode.IsPrint(c) || c == ' ':
			b.WriteRune(c)
		default:
			q := strconv.QuoteRune(c) // e.g. '\x1b', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

// trimLines drops the spaces tabwriter leaves at the end of lines whose
// last cell is empty.
func trimLines(b []byte) []byte {
	lines := bytes.Split(b, []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimRight(l, " ")
	}
	return bytes.Join(lines, []byte("\n"))
}

// errnoNames are the Linux errno values a capture records for unreadable
// pages (archives always hold Linux numbers, whatever OS reads them).
var errnoNames = map[uint32]string{
	1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 9: "EBADF", 11: "EAGAIN",
	12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 19: "ENODEV", 22: "EINVAL", 27: "EFBIG",
	28: "ENOSPC", 38: "ENOSYS", 75: "EOVERFLOW", 95: "EOPNOTSUPP", 133: "EHWPOISON",
}

// errnoName names a Linux errno: "EIO", or "errno 200" when unknown.
func errnoName(e uint32) string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return fmt.Sprintf("errno %d", e)
}

// refuseArchiveAsOutput refuses an output path that names the archive
// itself, which --force would truncate while it is read.
func refuseArchiveAsOutput(name, archive string) error {
	if name == "-" {
		return nil
	}
	out, err := os.Stat(name)
	if err != nil {
		return nil // does not exist (or cannot be seen): createOutput decides
	}
	if in, err := os.Stat(archive); err == nil && os.SameFile(in, out) {
		return usagef("output %s is the archive itself: choose another -o", name)
	}
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
