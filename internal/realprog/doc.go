// Package realprog is the real-program suite, the tests of record for
// capture: it captures programs nobody here wrote, as they run under load.
//
// The tests start OpenJDK (G1 and Parallel GC), node, python3, redis-server
// under redis-benchmark, PostgreSQL under pgbench, and a C target with more
// spinning threads than the machine has cores. Each is given a secret that
// is random per run, captured at least three times by the procsnap binary
// built from this tree, and its archives are checked with procsnap's own
// verbs (verify, search, list, info, diff, export-core, yara), with gdb,
// and with yara -s on runs extracted from the last archive. After
// every capture the target must be running, and a server must answer.
//
// The target programs are under testdata/realprog. A program that is not
// installed makes its test fail when CI is set and skip otherwise;
// .ci/run installs them all.
//
// The package holds only tests. It drives the procsnap command as an
// examiner would, and must not import procsnap's packages; it imports only
// the test helpers of internal/proctest, which build procsnap as released
// and start, watch and end the programs.
package realprog
