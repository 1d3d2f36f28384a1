package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

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

// createOutput creates path for writing evidence or extracted memory:
// mode 0600, and an existing file is never replaced without force.
func createOutput(path string, force bool) (*os.File, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s already exists (use --force to overwrite it)", path)
	}
	if err != nil {
		return nil, err
	}
	if force {
		// An existing file keeps its mode through O_TRUNC: tighten it.
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// openArchive opens an archive for an offline verb.
func openArchive(path string) (*format.Reader, error) {
	r, err := format.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	return r, nil
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
