// Package fleettest tests procsnap inside the fleet tools responders already
// run, for real: a stream over OpenSSH, the Ansible playbook of
// docs/fleet/ansible and the argv of the Velociraptor artifact of
// docs/fleet/velociraptor. docs/FLEET.md describes the three ways.
//
// The package has no code of its own, only tests. They build procsnap
// (static, CGO_ENABLED=0, as `make build` does) and a small C target that
// holds a planted secret, start their own sshd on 127.0.0.1 and a free port
// with a host key and a client key made for the test, and contact no other
// address. Each archive is verified and searched on the control side with
// the procsnap that was built, run as a separate process.
//
// The tests need root (ptrace of a process they did not start from procsnap,
// and sshd), gcc, OpenSSH's sshd, ssh and ssh-keygen, and ansible-playbook.
// Locally a missing one skips the test with the reason; in CI (CI=true) it
// fails it: .ci/run installs them.
//
// fleettest imports nothing of procsnap but the test helpers of
// internal/proctest (which build the binaries and start the targets): it
// drives the binary, as an examiner does.
package fleettest
