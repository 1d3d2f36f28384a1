package procfs

// PtraceScope reads sys/kernel/yama/ptrace_scope, Yama's restriction on ptrace: 0 classic
// permissions, 1 only a parent may trace its descendants (or whom a process names with
// PR_SET_PTRACER), 2 only with CAP_SYS_PTRACE, 3 no attach at all
// (Documentation/admin-guide/LSM/Yama.rst). A kernel without Yama has no such file: the error
// then satisfies errors.Is(err, fs.ErrNotExist).
func (fs FS) PtraceScope() (int, error) {
	path := fs.path("sys/kernel/yama/ptrace_scope")
	line, err := readLine(path)
	if err != nil {
		return 0, err
	}
	scope, err := parsePtraceScope(line)
	return scope, withFile(err, path)
}

// parsePtraceScope parses the one line of ptrace_scope, without its newline.
func parsePtraceScope(line string) (int, error) {
	scope, ok := parseInt(line)
	if !ok {
		return 0, &ParseError{Line: 1, Text: line, Reason: "ptrace_scope is not a decimal number"}
	}
	return scope, nil
}
