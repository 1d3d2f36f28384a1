package main

// Helpers shared by the verbs for the text they show people.

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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
