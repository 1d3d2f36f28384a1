package procfs

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// helperEnv makes TestHelperThreads a target process: it holds that many goroutines locked to
// their own OS threads until its stdin closes. testdata/procfs/capture.sh uses it too.
const helperEnv = "PROCSNAP_HELPER_THREADS"

func TestHelperThreads(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(helperEnv))
	if err != nil {
		t.Skip("the target process of the live tests; runs only with " + helperEnv + " set")
	}
	var locked sync.WaitGroup
	for range n {
		locked.Add(1)
		go func() {
			runtime.LockOSThread()
			locked.Done()
			select {}
		}()
	}
	locked.Wait()
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// startHelper runs the test binary as a target with n locked threads and returns its pid once
// they all exist. The target is killed when the test ends.
func startHelper(t *testing.T, n int) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperThreads$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("helper target: read %q, %v; want \"ready\\n\"", line, err)
	}
	return cmd, cmd.Process.Pid
}
