package procfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Read limits. A /proc file reports size 0 (or 4096) to stat, so every read is bounded by what
// the kernel can produce for that file, with room to spare; a larger file is refused, not cut.
const (
	// maxMaps: 65,530 mappings (the default vm.max_map_count) with PATH_MAX paths take 270 MiB.
	maxMaps = 512 << 20
	// maxSmaps: about 1.5 KiB per mapping on top of the maps line.
	maxSmaps = 1 << 30
	// maxArgs: execve caps argv+envp at 6 MiB; prctl(PR_SET_MM_ARG_END) may point elsewhere.
	maxArgs = 8 << 20
	// maxAuxv: the kernel keeps at most AT_VECTOR_SIZE (a few dozen) pairs.
	maxAuxv = 64 << 10
	// maxSmall: status, stat, comm and the one-line host files.
	maxSmall = 64 << 10
	// maxProcStat: /proc/stat grows with the number of CPUs and interrupts.
	maxProcStat = 16 << 20
	// maxLine: the longest line read by a line scanner (smaps).
	maxLine = 64 << 10
)

// ErrTooLarge is wrapped by errors of reads that reach a file's limit.
var ErrTooLarge = errors.New("file larger than its read limit")

// readBounded reads the file at path to EOF and fails if it holds more than limit bytes.
// Errors from open and read are *os.PathError values and name the path; a vanished process
// gives one that satisfies errors.Is(err, os.ErrNotExist).
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(newBoundedReader(f, path, limit))
	if err != nil {
		return nil, err
	}
	return data, nil
}

// boundedReader passes reads through until more than limit bytes have been read, then fails.
type boundedReader struct {
	r     io.Reader
	path  string
	limit int64
	left  int64 // bytes that may still be read; negative once the limit is passed
}

func newBoundedReader(r io.Reader, path string, limit int64) *boundedReader {
	return &boundedReader{r: r, path: path, limit: limit, left: limit}
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.tooLarge()
	}
	// Ask for one byte beyond the limit so that a file of exactly limit bytes reads cleanly.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, b.tooLarge()
	}
	return n, err
}

func (b *boundedReader) tooLarge() error {
	return fmt.Errorf("read %s: %w (%d bytes)", b.path, ErrTooLarge, b.limit)
}

// readLine reads a file that holds one newline-terminated line (comm, the host files) and
// returns the line without its newline.
func readLine(path string) (string, error) {
	raw, err := readBounded(path, maxSmall)
	if err != nil {
		return "", err
	}
	text := string(raw)
	if text == "" {
		return "", &ParseError{File: path, Reason: "empty file"}
	}
	if perr := unterminated(text); perr != nil {
		perr.File = path
		return "", perr
	}
	return text[:len(text)-1], nil
}

// eachKeyLine calls fn with the key and the value of each "Key:value" line of text (status,
// meminfo), the value as printed after the colon. text must be whole (end in a newline) and
// every line have a colon; fn returns why its line is wrong, or "". The first wrong line is a
// *ParseError.
func eachKeyLine(text string, fn func(key, val string) string) error {
	if text == "" {
		return &ParseError{Reason: "empty file"}
	}
	if perr := unterminated(text); perr != nil {
		return perr
	}
	n := 0
	for line := range strings.SplitSeq(text[:len(text)-1], "\n") {
		n++
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return &ParseError{Line: n, Text: line, Reason: "no colon after the key"}
		}
		if why := fn(key, val); why != "" {
			return &ParseError{Line: n, Text: line, Reason: why}
		}
	}
	return nil
}

// findLine finds the first line of text that starts with prefix and returns what follows the
// prefix, the whole line and its 1-based number; ok is false when no line does.
func findLine(text, prefix string) (val, line string, n int, ok bool) {
	for l := range strings.SplitSeq(text, "\n") {
		n++
		if v, found := strings.CutPrefix(l, prefix); found {
			return v, l, n, true
		}
	}
	return "", "", 0, false
}

// maxKB bounds a size printed in kB: 2^50 kB is an exbibyte, and its bytes fit an int64.
const maxKB = 1 << 50

// parseKB parses the value of a "Key:   N kB" line of meminfo or status, after the colon (the
// kernel pads it with spaces or a tab and spaces), and returns it in bytes.
func parseKB(val string) (int64, bool) {
	num, ok := strings.CutSuffix(strings.TrimLeft(val, "\t "), " kB")
	kb, okNum := parseDecField(num)
	if !ok || !okNum || kb >= maxKB {
		return 0, false
	}
	return int64(kb) << 10, true
}
