package yarascan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// ErrNoYara is wrapped by the error of Load when the yara program (or
// yarac) is not installed.
var ErrNoYara = errors.New("yara is not installed")

// lookTool finds yara or yarac in PATH.
func lookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: no %s program in PATH (install Debian's yara package: apt-get install yara)", ErrNoYara, name)
	}
	return p, nil
}

// yaraVersion runs `yara --version` and checks that it is a yara 4, the
// version whose output procsnap reads.
func yaraVersion(ctx context.Context, yara string) (string, error) {
	out, err := exec.CommandContext(ctx, yara, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", yara, err)
	}
	v := strings.TrimSpace(string(out))
	major, _, _ := strings.Cut(v, ".")
	if n, err := strconv.Atoi(major); err != nil || n != 4 {
		return v, fmt.Errorf("%s is yara %q: procsnap drives yara 4 (Debian's yara package)", yara, v)
	}
	return v, nil
}

// tool runs yara or yarac with extra descriptors from 3 on and returns what
// it wrote on stdout and stderr (each kept up to maxToolOutput bytes).
func tool(ctx context.Context, path string, extra []*os.File, args ...string) ([]byte, []byte, error) {
	var stdout, stderr boundedBuffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.ExtraFiles = extra
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = toolEnv()
	err := cmd.Run()
	return stdout.Bytes(), stderr.Bytes(), err
}

// toolEnv is the environment of yara and yarac: procsnap's, with TMPDIR
// pointed nowhere useful, so that nothing of theirs lands in a temporary
// file unnoticed (neither writes one today).
func toolEnv() []string {
	return append(os.Environ(), "TMPDIR=/nonexistent-procsnap-yara")
}

const maxToolOutput = 1 << 20

// boundedBuffer keeps the first maxToolOutput bytes written to it.
type boundedBuffer struct {
	bytes.Buffer
	cut bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := maxToolOutput - b.Len(); room < len(p) {
		b.cut = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// fdPath is the name a child process opens its descriptor n by.
func fdPath(n int) string { return "/proc/self/fd/" + strconv.Itoa(n) }
