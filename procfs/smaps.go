package procfs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
)

// VmFlags returns the VmFlags of the mapping that starts at address start, from
// /proc/PID/smaps: two-letter codes such as "rd", "io" (device memory: reading it may have
// side effects), "pf" (pure PFN range) and "dd" (MADV_DONTDUMP). smaps is slow to produce on a
// large process, so it is read only up to the end of that mapping's block. A missing mapping
// is an error that satisfies errors.Is(err, os.ErrNotExist).
func (fs FS) VmFlags(pid int, start uint64) ([]string, error) {
	path := fs.pidPath(pid, "smaps")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(newBoundedReader(f, path, maxSmaps))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	flags, err := scanVmFlags(sc, path, start)
	if err != nil {
		return nil, withFile(err, path)
	}
	return flags, nil
}

// scanVmFlags finds the block whose header line starts at start and returns the fields of its
// VmFlags line, stopping there.
func scanVmFlags(sc *bufio.Scanner, path string, start uint64) ([]string, error) {
	header := fmt.Sprintf("%08x-", start)
	n, inBlock := 0, false
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case isSmapsHeader(line):
			if inBlock {
				return nil, &ParseError{Line: n, Text: line, Reason: "block before this line has no VmFlags"}
			}
			inBlock = strings.HasPrefix(line, header)
		case inBlock && strings.HasPrefix(line, "VmFlags:"):
			return strings.Fields(line[len("VmFlags:"):]), nil
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, fmt.Errorf("read %s: line %d longer than %d bytes: %w", path, n+1, maxLine, err)
	} else if err != nil {
		return nil, err // from the file or the bound, naming the path
	}
	if inBlock {
		return nil, &ParseError{Line: n, Reason: "last block has no VmFlags"}
	}
	return nil, fmt.Errorf("%s: no mapping starts at %#x: %w", path, start, os.ErrNotExist)
}

// isSmapsHeader tells a block's header, a maps line beginning "start-end ", from the
// "Key:   value" lines that follow it.
func isSmapsHeader(line string) bool {
	first, _, _ := strings.Cut(line, " ")
	return !strings.HasSuffix(first, ":") && strings.IndexByte(first, '-') > 0
}
