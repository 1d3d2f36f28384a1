package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/procsnap/procsnap/format"
)

// hexAddr formats an address as JSON and humans see it: "0x7f…".
func hexAddr(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }

// parseAddr reads an address: hex with or without 0x (maps style), or a
// decimal number with a 0d prefix.
func parseAddr(s string) (uint64, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	base := 16
	switch {
	case strings.HasPrefix(t, "0x"):
		t = t[2:]
	case strings.HasPrefix(t, "0d"):
		t, base = t[2:], 10
	}
	v, err := strconv.ParseUint(t, base, 64)
	if err != nil {
		return 0, fmt.Errorf("bad address %q (want hex such as 0x7f12a000 or 7f12a000)", s)
	}
	return v, nil
}

// parseRange reads "START-END" (hex addresses, END exclusive).
func parseRange(s string) (uint64, uint64, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("bad range %q (want START-END, e.g. 0x7f12a000-0x7f12b000)", s)
	}
	lo, err := parseAddr(a)
	if err != nil {
		return 0, 0, err
	}
	hi, err := parseAddr(b)
	if err != nil {
		return 0, 0, err
	}
	if hi <= lo {
		return 0, 0, fmt.Errorf("bad range %q: the end must be above the start", s)
	}
	return lo, hi, nil
}

// openArchive opens an archive for an offline verb that needs random
// access to it. "-" is standard input, which must then be a regular file
// (procsnap VERB - < x.psnap); a pipe is refused, saying what to do. An
// encrypted archive is decrypted with keys (seal_open.go).
func openArchive(path string, keys *archiveKeys) (*format.Reader, error) {
	if path == "-" {
		return openStdin(keys)
	}
	if sealedFile(path) {
		return openSealedFile(path, keys)
	}
	r, err := format.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	return r, nil
}

// openSealedFile opens the encrypted archive at path with random access.
func openSealedFile(path string, keys *archiveKeys) (*format.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open archive: %w", err)
	}
	r, err := openSealed(f, st.Size(), path, keys, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// openArchiveOrStream opens an archive for a verb that needs only what a
// forward pass keeps (info, list): "-" may also be a pipe, and an
// encrypted archive that was cut short is decrypted as a stream.
func openArchiveOrStream(path, verb string, keys *archiveKeys, stderr io.Writer) (*format.Reader, error) {
	if path != "-" || stdinKind() == "a regular file" {
		r, err := openArchive(path, keys)
		if errors.Is(err, errCutShort) {
			return readCutSealed(path, keys, verb, stderr)
		}
		return r, err
	}
	if err := refuseTerminalStdin(verb); err != nil {
		return nil, err
	}
	br := stdinReader()
	if head, _ := br.Peek(len(ageMagic)); isAge(head) {
		return readSealedStream(br, "standard input", keys, verb, stderr)
	}
	r, err := format.ReadStream(br)
	if err != nil {
		return nil, fmt.Errorf("read archive from standard input: %w", err)
	}
	return r, nil
}

var stdinBuf struct {
	mu sync.Mutex
	f  *os.File // the standard input r reads
	r  *bufio.Reader
}

// stdinReader is the one buffered reader of standard input when it is a
// pipe: a verb may peek at its first bytes (a tar set, or an archive) and
// then read it from the start.
func stdinReader() *bufio.Reader {
	stdinBuf.mu.Lock()
	defer stdinBuf.mu.Unlock()
	if stdinBuf.f != os.Stdin { // a new standard input (the tests swap it)
		stdinBuf.f, stdinBuf.r = os.Stdin, bufio.NewReaderSize(os.Stdin, 1<<20)
	}
	return stdinBuf.r
}

// readCutSealed reads an encrypted archive file whose end is missing as
// a stream: everything before the cut.
func readCutSealed(path string, keys *archiveKeys, verb string, stderr io.Writer) (*format.Reader, error) {
	var src io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open archive: %w", err)
		}
		defer f.Close()
		src = f
	}
	return readSealedStream(src, path, keys, verb, stderr)
}

// readSealedStream reads an encrypted archive from src in one forward pass.
func readSealedStream(src io.Reader, name string, keys *archiveKeys, verb string, stderr io.Writer) (*format.Reader, error) {
	s, err := decryptStream(src, name, keys)
	if err != nil {
		return nil, err
	}
	r, err := format.ReadStream(s)
	if err != nil {
		return nil, fmt.Errorf("read archive %s (decrypted): %w", name, err)
	}
	if p := s.problem(); p != "" {
		fmt.Fprintf(stderr, "procsnap %s: warning: %s\n", verb, clean(p))
	}
	return r, nil
}

// refuseTerminalStdin refuses to read an archive from a terminal.
func refuseTerminalStdin(verb string) error {
	if isTerminal(os.Stdin) {
		return usagef("standard input is a terminal: pipe an archive into procsnap (procsnap capture -o - PID | procsnap %s -), or give its path", verb)
	}
	return nil
}

// openStdin reads an archive from standard input when it is a regular
// file, from its current offset (as cat would).
func openStdin(keys *archiveKeys) (*format.Reader, error) {
	kind := stdinKind()
	if kind != "a regular file" {
		return nil, usagef("this needs random access to the archive, and standard input is %s: save the stream to a file first (procsnap capture -o - PID > x.psnap, or ... | cat > x.psnap) and give its path, or redirect it: < x.psnap", kind)
	}
	st, err := os.Stdin.Stat()
	if err != nil {
		return nil, fmt.Errorf("open archive: standard input: %w", err)
	}
	off, err := os.Stdin.Seek(0, io.SeekCurrent)
	if err != nil || off > st.Size() {
		off = 0
	}
	sec := io.NewSectionReader(os.Stdin, off, st.Size()-off)
	head := make([]byte, len(ageMagic))
	if n, _ := sec.ReadAt(head, 0); isAge(head[:n]) {
		return openSealed(sec, sec.Size(), "standard input", keys, nil)
	}
	r, err := format.NewReader(sec, sec.Size())
	if err != nil {
		return nil, fmt.Errorf("open archive: standard input: %w", err)
	}
	return r, nil
}

// stdinKind says what standard input is: "a regular file", "a pipe", ...
func stdinKind() string {
	st, err := os.Stdin.Stat()
	switch {
	case err != nil:
		return "unusable (" + err.Error() + ")"
	case st.Mode().IsRegular():
		return "a regular file"
	case st.Mode()&fs.ModeNamedPipe != 0:
		return "a pipe"
	case st.Mode()&fs.ModeSocket != 0:
		return "a socket"
	case st.Mode()&fs.ModeCharDevice != 0:
		return "a terminal or character device"
	}
	return "not a regular file"
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// parseSize reads a byte size: a number with an optional unit K, M, G, T
// (powers of 1024; KiB, KB and k are accepted alike).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') {
		i--
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 4096, 256KiB, 512MiB, 2GiB)", s)
	}
	unit := strings.ToLower(strings.TrimSpace(t[i:]))
	unit = strings.TrimSuffix(strings.TrimSuffix(unit, "b"), "i")
	shift := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30, "t": 40}
	sh, ok := shift[unit]
	if !ok || n > (1<<62)>>sh {
		return 0, fmt.Errorf("bad size %q (want e.g. 4096, 256KiB, 512MiB, 2GiB)", s)
	}
	return n << sh, nil
}

// human formats a byte count for people: 1.5 GiB.
func human(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
