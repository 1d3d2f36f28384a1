package yarascan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Rules is a compiled rule set, ready for Scan: the compiled rules live in
// a memfd (or, for a rule set compiled beforehand, in the file given).
type Rules struct {
	file     *os.File
	yara     string
	Version  string   // yara's version
	Compiled bool     // RULES was already compiled (yarac output)
	Files    []string // the rule files compiled, in order
	Warnings []string // what yarac warned about, line by line
}

// CompileError is yarac's refusal of the rules (a syntax error, an unknown
// identifier...); Message is what yarac said.
type CompileError struct{ Message string }

func (e *CompileError) Error() string { return "the rules do not compile: " + e.Message }

// compiledMagic starts every file yarac writes (a YARA arena).
var compiledMagic = []byte("YARA")

// Load reads RULES: a rule file, a directory of rule files (*.yar and
// *.yara, in its subdirectories too, in path order, all in the default
// namespace as `yarac` puts them), or a rule set compiled by yarac
// (recognised by its magic). Source rules are compiled once, with yarac,
// into a memfd; then yara loads the rules once on an empty buffer, so
// that rules compiled by another yara version are refused here.
func Load(ctx context.Context, path string) (*Rules, error) {
	yara, err := lookTool("yara")
	if err != nil {
		return nil, err
	}
	version, err := yaraVersion(ctx, yara)
	if err != nil {
		return nil, err
	}
	rs := &Rules{yara: yara, Version: version}
	if err := rs.open(ctx, path); err != nil {
		return nil, err
	}
	if err := rs.probe(ctx); err != nil {
		rs.Close()
		return nil, err
	}
	return rs, nil
}

// Close releases the compiled rules.
func (rs *Rules) Close() error { return rs.file.Close() }

func (rs *Rules) open(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	if fi.IsDir() {
		files, err := ruleFiles(path)
		if err != nil {
			return err
		}
		return rs.compile(ctx, files)
	}
	compiled, err := isCompiled(path)
	if err != nil {
		return err
	}
	if !compiled {
		return rs.compile(ctx, []string{path})
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	rs.file, rs.Compiled = f, true
	return nil
}

// isCompiled reports whether the file starts with yarac's magic.
func isCompiled(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("rules: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(compiledMagic))
	_, err = io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, fmt.Errorf("rules: %w", err)
	}
	return bytes.Equal(head, compiledMagic), nil
}

// ruleFiles lists the *.yar and *.yara files under dir, in path order.
func ruleFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := strings.ToLower(filepath.Ext(p))
		if !d.IsDir() && (ext == ".yar" || ext == ".yara") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("rules: no *.yar or *.yara file in %s", dir)
	}
	slices.Sort(out)
	return out, nil
}
