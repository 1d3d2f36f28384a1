package procfs

import (
	"errors"
	"fmt"
	"strings"
)

// ParseError reports /proc content that does not have the form the kernel prints. Capture
// keeps the raw bytes as evidence, so a caller may record the error and go on.
type ParseError struct {
	File   string // path of the file read, "" for text handed to a Parse function
	Line   int    // 1-based line number, 0 where lines do not apply
	Text   string // the offending line, verbatim
	Reason string // what is wrong with it
}

// maxErrorText bounds how much of Text an error message quotes.
const maxErrorText = 256

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("parse ")
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("/proc text")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Text != "" {
		text, cut := e.Text, ""
		if len(text) > maxErrorText {
			text, cut = text[:maxErrorText], "..."
		}
		fmt.Fprintf(&b, ": %q%s", text, cut)
	}
	return b.String()
}

// withFile records in err, if it is a *ParseError, the file its text was read from.
func withFile(err error, file string) error {
	var perr *ParseError
	if errors.As(err, &perr) {
		perr.File = file
	}
	return err
}

// unterminated returns an error unless text is empty or ends in a newline: every /proc text
// file does, so anything else is a truncated read.
func unterminated(text string) *ParseError {
	if text == "" || strings.HasSuffix(text, "\n") {
		return nil
	}
	last := text[strings.LastIndexByte(text, '\n')+1:]
	return &ParseError{
		Line:   strings.Count(text, "\n") + 1,
		Text:   last,
		Reason: "no newline at end of file (truncated read?)",
	}
}
