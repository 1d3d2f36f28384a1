package main

import (
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"
)

// TestMain removes what the tests built: procsnap and the C targets under
// testdata, built once per test binary by internal/proctest, which also
// starts and ends the processes the live tests run.
func TestMain(m *testing.M) { proctest.Main(m) }
