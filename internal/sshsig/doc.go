// Package sshsig makes and checks SSH signatures: the detached signature
// format of `ssh-keygen -Y sign` (OpenSSH's PROTOCOL.sshsig), armored as
// "-----BEGIN SSH SIGNATURE-----". procsnap signs its provenance statements
// with it, so that `ssh-keygen -Y verify` checks them too.
//
// A signature comes from another machine: Parse bounds every length before
// it allocates and never panics. sshsig knows nothing of archives; it
// imports only the standard library and golang.org/x/crypto/ssh.
package sshsig
