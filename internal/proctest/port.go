package proctest

import (
	"net"
	"testing"
)

// FreePort is a loopback TCP port that was free a moment ago, for a server
// a test starts.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
