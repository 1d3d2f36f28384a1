package procfs

// For the external test package (live_threads_linux_test.go).

// CheckMapsAgree is checkMapsAgree.
var CheckMapsAgree = checkMapsAgree
