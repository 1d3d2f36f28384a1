package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// machine is how the guest is booted.
type machine struct {
	cpus    int
	memMiB  int
	timeout time.Duration
	qemu    string
}

// boot runs the kernel with the initramfs under QEMU's TCG emulation and
// hands every console line, \r removed, to line. It returns QEMU's exit
// status. Neither -enable-kvm (the /dev/kvm of these machines is
// paravirtual: MSR errors, then emulation failures) nor -M microvm (it
// hangs calibrating the TSC in most boots) is used.
func boot(ctx context.Context, m machine, image, initrd string, log io.Writer, line func(string), logf func(string, ...any)) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	args := []string{
		"-accel", "tcg,thread=multi",
		"-cpu", "max",
		"-smp", strconv.Itoa(m.cpus),
		"-m", strconv.Itoa(m.memMiB),
		"-nodefaults", "-display", "none", "-no-reboot",
		"-serial", "stdio", "-monitor", "none",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-kernel", image,
		"-initrd", initrd,
		"-append", "console=ttyS0 quiet panic=-1",
	}
	cmd := exec.CommandContext(ctx, m.qemu, args...)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		s := strings.TrimRight(sc.Text(), "\r")
		fmt.Fprintln(log, s)
		line(s)
	}
	err = cmd.Wait()
	if stderr.Len() > 0 {
		logf("%s said: %s", m.qemu, bytes.TrimSpace(stderr.Bytes()))
	}
	if ctx.Err() == context.DeadlineExceeded {
		return -1, fmt.Errorf("the guest did not power off within %v (killed)", m.timeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, fmt.Errorf("%s: %w", m.qemu, err)
	}
	return 0, nil
}
