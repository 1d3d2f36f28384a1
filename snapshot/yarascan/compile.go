package yarascan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// compile runs yarac over the files, writing the compiled rules into a
// memfd (yarac opens it as /proc/self/fd/3): no file is written.
func (rs *Rules) compile(ctx context.Context, files []string) error {
	yarac, err := lookTool("yarac")
	if err != nil {
		return err
	}
	f, err := newMemfd("procsnap-yara-rules")
	if err != nil {
		return err
	}
	args := make([]string, 0, len(files)+1)
	for _, p := range files {
		// yarac reads NAMESPACE:FILE up to the first colon: always name
		// the namespace, so that a colon in a path stays in the path.
		args = append(args, "default:"+p)
	}
	args = append(args, fdPath(3))
	_, stderr, err := tool(ctx, yarac, []*os.File{f}, args...)
	msg := strings.TrimSpace(string(stderr))
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		f.Close()
		if msg == "" {
			msg = exit.String()
		}
		return &CompileError{Message: msg}
	case err != nil:
		f.Close()
		return fmt.Errorf("yarac: %w", err)
	}
	rs.file, rs.Files = f, files
	if msg != "" {
		rs.Warnings = strings.Split(msg, "\n")
	}
	return nil
}

// probe has yara load the rules and scan a one-byte buffer: a rule set
// yara cannot load (another yara version, not rules at all) fails here,
// before any archive is read.
func (rs *Rules) probe(ctx context.Context) error {
	empty, err := newMemfd("procsnap-yara-probe")
	if err != nil {
		return err
	}
	defer empty.Close()
	if _, err := empty.Write([]byte{0}); err != nil {
		return fmt.Errorf("memfd: %w", err)
	}
	_, stderr, err := tool(ctx, rs.yara, []*os.File{rs.file, empty}, "-C", fdPath(3), fdPath(4))
	if err != nil {
		msg := strings.TrimSpace(string(stderr))
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("yara cannot load the rules: %s", msg)
	}
	return nil
}
