//go:build linux && amd64

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/procsnap/procsnap/cmd/kerneltest/internal/proto"
	"golang.org/x/sys/unix"
)

// console serialises the lines written to the console.
type console struct {
	mu sync.Mutex
	f  *os.File
}

func (c *console) emit(l proto.Line) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.f.Write([]byte(l.Format() + "\n"))
}

// drain waits until the serial port has sent everything written: the
// machine must not power off with the last lines still in the kernel's
// buffer (tcdrain).
func (c *console) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	unix.IoctlSetInt(int(c.f.Fd()), unix.TCSBRK, 1)
}

func main() {
	con := &console{f: os.Stdout}
	failed, err := run(con)
	if err != nil {
		con.emit(proto.Line{Kind: proto.KindInfo, Suite: "error", Text: err.Error()})
		failed = -1
	}
	con.emit(proto.Line{Kind: proto.KindDone, Status: failed})
	con.drain()
	code := proto.GuestPassed
	if failed != 0 {
		code = proto.GuestFailed
	}
	powerOff(code)
}

func run(con *console) (int, error) {
	if err := mountAll(); err != nil {
		return 0, err
	}
	b, err := os.ReadFile(proto.ManifestPath)
	if err != nil {
		return 0, err
	}
	var m proto.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return 0, fmt.Errorf("%s: %w", proto.ManifestPath, err)
	}
	info(con)
	failed := 0
	for _, s := range m.Suites {
		if status := runSuite(con, s, m.Env); status != 0 {
			failed++
		}
	}
	return failed, nil
}

// mountAll mounts /proc, /sys, /dev (devtmpfs: /dev/null, /dev/port) and
// a /tmp on tmpfs; the directories are in the initramfs.
func mountAll() error {
	for _, m := range []struct{ src, dir, fstype string }{
		{"proc", "/proc", "proc"},
		{"sysfs", "/sys", "sysfs"},
		{"devtmpfs", "/dev", "devtmpfs"},
		{"tmpfs", "/tmp", "tmpfs"},
		{"tmpfs", "/dev/shm", "tmpfs"},
	} {
		if err := os.MkdirAll(m.dir, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(m.src, m.dir, m.fstype, 0, ""); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.dir, err)
		}
	}
	return nil
}

// info reports the kernel release, CPUs and memory the suites saw. It
// reads /proc itself, not with procfs: the guest imports no package of
// procsnap (doc.go), so that a fault in one cannot hide in the report of
// the suite that tests it.
func info(con *console) {
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		con.emit(proto.Line{Kind: proto.KindInfo, Suite: "kernel", Text: unix.ByteSliceToString(u.Release[:])})
	}
	var cpus unix.CPUSet
	if unix.SchedGetaffinity(0, &cpus) == nil {
		con.emit(proto.Line{Kind: proto.KindInfo, Suite: "cpus", Text: fmt.Sprint(cpus.Count())})
	}
	if b, err := os.ReadFile("/proc/uptime"); err == nil {
		con.emit(proto.Line{Kind: proto.KindInfo, Suite: "booted-in", Text: strings.Fields(string(b))[0] + "s"})
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		first, _, _ := strings.Cut(string(b), "\n")
		con.emit(proto.Line{Kind: proto.KindInfo, Suite: "memory", Text: strings.Join(strings.Fields(first)[1:], " ")})
	}
}

// runSuite runs one test binary to its end and returns its exit status
// (-1 if it could not start or was killed by a signal).
func runSuite(con *console, s proto.Suite, env []string) int {
	con.emit(proto.Line{Kind: proto.KindBegin, Suite: s.Name})
	start := time.Now()
	status := -1
	r, w, err := os.Pipe()
	if err != nil {
		return endSuite(con, s, status, start, err)
	}
	relayed := make(chan struct{})
	go relay(con, s.Name, r, relayed)
	pid, err := startSuite(s, env, w)
	w.Close()
	if err == nil {
		status = reapUntil(pid)
	}
	killStragglers()
	<-relayed // every holder of the pipe is dead now
	r.Close()
	return endSuite(con, s, status, start, err)
}

func endSuite(con *console, s proto.Suite, status int, start time.Time, err error) int {
	if err != nil {
		con.emit(proto.Line{Kind: proto.KindOut, Suite: s.Name, Text: "kerneltest guest: " + err.Error()})
	}
	con.emit(proto.Line{Kind: proto.KindEnd, Suite: s.Name, Status: status, Seconds: time.Since(start).Seconds()})
	return status
}

// relay prints each line from r as an out line of the suite.
func relay(con *console, suite string, r *os.File, done chan<- struct{}) {
	defer close(done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		con.emit(proto.Line{Kind: proto.KindOut, Suite: suite, Text: sc.Text()})
	}
	if err := sc.Err(); err != nil {
		con.emit(proto.Line{Kind: proto.KindOut, Suite: suite, Text: "kerneltest guest: output: " + err.Error()})
	}
}

// startSuite starts the binary with stdout and stderr on w and stdin on
// /dev/null. It does not use os/exec: PID 1 reaps every child itself.
func startSuite(s proto.Suite, env []string, w *os.File) (int, error) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	p, err := os.StartProcess(s.Binary, append([]string{s.Binary}, s.Args...), &os.ProcAttr{
		Dir:   s.Dir,
		Env:   append(env[:len(env):len(env)], s.Env...),
		Files: []*os.File{null, w, w},
	})
	if err != nil {
		return 0, err
	}
	pid := p.Pid
	p.Release() // reaped by reapUntil, not by os.Process.Wait
	return pid, nil
}

// reapUntil reaps children (orphans re-parented to PID 1 among them) until
// pid ends, and returns its exit status.
func reapUntil(pid int) int {
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1
		}
		if got == pid {
			if ws.Exited() {
				return ws.ExitStatus()
			}
			return -1
		}
	}
}

// killStragglers kills every process but this one and reaps them: targets
// a suite left behind must not hold its output pipe or run into the next.
func killStragglers() {
	unix.Kill(-1, unix.SIGKILL)
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return // ECHILD: none left
		}
	}
}

// debugExitPort is the I/O port of QEMU's isa-debug-exit device.
const debugExitPort = 0xf4

// outb writes v to an I/O port (outb_amd64.s); the calling thread needs
// the port's permission (ioperm).
func outb(port uint16, v uint8)

// powerOff asks QEMU's isa-debug-exit device to exit with code: by an out
// instruction after ioperm (which needs CONFIG_X86_IOPL_IOPERM), else
// through /dev/port (CONFIG_DEVPORT, which Debian's cloud kernels lack).
// If neither ends the machine, it powers off, and QEMU exits 0, which the
// host reads as a failure.
func powerOff(code int) {
	runtime.LockOSThread() // I/O permissions belong to the thread
	if unix.Ioperm(debugExitPort, 1, 1) == nil {
		outb(debugExitPort, uint8(code))
	}
	if f, err := os.OpenFile("/dev/port", os.O_WRONLY, 0); err == nil {
		f.WriteAt([]byte{byte(code)}, debugExitPort)
		f.Close()
	}
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
