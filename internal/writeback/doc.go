// Package writeback writes archives to regular files so that their closing
// fsync is short: on Linux it starts the kernel's writeback of every
// 16 MiB written (sync_file_range, which does not wait). procsnap's
// outputs and the psprofile tool write through it.
package writeback
