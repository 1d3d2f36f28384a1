package procfs

// mapsCases are hand-made lines, padded as the kernel pads them, one for each kind of path.
var mapsCases = []struct {
	name string
	line string
	want Mapping // without Line, which must equal line
	kind Kind
}{
	{
		name: "file",
		line: "7f3c1a200000-7f3c1a228000 r--p 00000000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a228000, Perms: "r--p", DevMajor: 0xfe, Inode: 326269, Path: "/usr/lib/x86_64-linux-gnu/libc.so.6"},
		kind: KindFile,
	},
	{
		name: "anonymous",
		line: "7f3c1a3c4000-7f3c1a3d1000 rw-p 00000000 00:00 0 ",
		want: Mapping{Start: 0x7f3c1a3c4000, End: 0x7f3c1a3d1000, Perms: "rw-p"},
		kind: KindAnon,
	},
	{
		name: "one space",
		line: "7f3c1a200000-7f3c1a201000 r--p 00000000 fe:00 12                         /tmp/a b",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r--p", DevMajor: 0xfe, Inode: 12, Path: "/tmp/a b"},
		kind: KindFile,
	},
	{
		name: "repeated spaces",
		line: "7f3c1a200000-7f3c1a201000 r--p 00000000 fe:00 12                         /tmp/a   b",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r--p", DevMajor: 0xfe, Inode: 12, Path: "/tmp/a   b"},
		kind: KindFile,
	},
	{
		name: "trailing spaces",
		line: "7f3c1a200000-7f3c1a201000 r--p 00000000 fe:00 12                         /tmp/ab  ",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r--p", DevMajor: 0xfe, Inode: 12, Path: "/tmp/ab  "},
		kind: KindFile,
	},
	{
		name: "leading space",
		line: "7f3c1a200000-7f3c1a201000 r--p 00000000 fe:00 12                          /tmp/ab",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r--p", DevMajor: 0xfe, Inode: 12, Path: " /tmp/ab"},
		kind: KindFile,
	},
	{
		name: "deleted",
		line: "7f3c1a200000-7f3c1a201000 r-xp 00001000 fe:00 99                         /tmp/x (deleted)",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r-xp", Offset: 0x00001000, DevMajor: 0xfe, Inode: 99, Path: "/tmp/x (deleted)", Deleted: true},
		kind: KindFile,
	},
	{
		name: "deleted with spaces",
		line: "7f3c1a200000-7f3c1a201000 r-xp 00001000 fe:00 99                         /tmp/a  b  (deleted)",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r-xp", Offset: 0x00001000, DevMajor: 0xfe, Inode: 99, Path: "/tmp/a  b  (deleted)", Deleted: true},
		kind: KindFile,
	},
	{
		name: "deleted twice",
		line: "7f3c1a200000-7f3c1a201000 r-xp 00001000 fe:00 99                         /tmp/x (deleted) (deleted)",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r-xp", Offset: 0x00001000, DevMajor: 0xfe, Inode: 99, Path: "/tmp/x (deleted) (deleted)", Deleted: true},
		kind: KindFile,
	},
	{
		name: "not deleted",
		line: "7f3c1a200000-7f3c1a201000 r-xp 00001000 fe:00 99                         /tmp/(deleted)",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r-xp", Offset: 0x00001000, DevMajor: 0xfe, Inode: 99, Path: "/tmp/(deleted)"},
		kind: KindFile,
	},
	{
		name: "heap",
		line: "55d0c8e5e000-55d0c8e7f000 rw-p 00000000 00:00 0                          [heap]",
		want: Mapping{Start: 0x55d0c8e5e000, End: 0x55d0c8e7f000, Perms: "rw-p", Path: "[heap]"},
		kind: KindHeap,
	},
	{
		name: "stack",
		line: "7ffd4c0a1000-7ffd4c0c2000 rw-p 00000000 00:00 0                          [stack]",
		want: Mapping{Start: 0x7ffd4c0a1000, End: 0x7ffd4c0c2000, Perms: "rw-p", Path: "[stack]"},
		kind: KindStack,
	},
	{
		name: "thread stack before 4.5",
		line: "7f3c19a00000-7f3c1a200000 rw-p 00000000 00:00 0                          [stack:1234]",
		want: Mapping{Start: 0x7f3c19a00000, End: 0x7f3c1a200000, Perms: "rw-p", Path: "[stack:1234]"},
		kind: KindStack,
	},
	{
		name: "vdso",
		line: "7ffd4c1f2000-7ffd4c1f4000 r-xp 00000000 00:00 0                          [vdso]",
		want: Mapping{Start: 0x7ffd4c1f2000, End: 0x7ffd4c1f4000, Perms: "r-xp", Path: "[vdso]"},
		kind: KindVdso,
	},
	{
		name: "vvar",
		line: "7ffd4c1ee000-7ffd4c1f2000 r--p 00000000 00:00 0                          [vvar]",
		want: Mapping{Start: 0x7ffd4c1ee000, End: 0x7ffd4c1f2000, Perms: "r--p", Path: "[vvar]"},
		kind: KindVvar,
	},
	{
		name: "vvar_vclock",
		line: "7ffd4c1f0000-7ffd4c1f2000 r--p 00000000 00:00 0                          [vvar_vclock]",
		want: Mapping{Start: 0x7ffd4c1f0000, End: 0x7ffd4c1f2000, Perms: "r--p", Path: "[vvar_vclock]"},
		kind: KindVvar,
	},
	{
		name: "vsyscall",
		line: "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
		want: Mapping{Start: 0xffffffffff600000, End: 0xffffffffff601000, Perms: "--xp", Path: "[vsyscall]"},
		kind: KindVsyscall,
	},
	{
		name: "anon name",
		line: "7f3c1a200000-7f3c1a203000 rw-p 00000000 00:00 0                          [anon:procsnap fixture]",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a203000, Perms: "rw-p", Path: "[anon:procsnap fixture]"},
		kind: KindAnon,
	},
	{
		name: "anon shmem name",
		line: "7f3c1a200000-7f3c1a203000 rw-s 00000000 00:01 2050                       [anon_shmem:jit  cache]",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a203000, Perms: "rw-s", DevMinor: 0x01, Inode: 2050, Path: "[anon_shmem:jit  cache]"},
		kind: KindAnon,
	},
	{
		name: "uprobes",
		line: "7fffffffe000-7ffffffff000 r-xp 00000000 00:00 0                          [uprobes]",
		want: Mapping{Start: 0x7fffffffe000, End: 0x7ffffffff000, Perms: "r-xp", Path: "[uprobes]"},
		kind: KindSpecial,
	},
	{
		name: "memfd",
		line: "7f3c1a200000-7f3c1a201000 r--s 00000000 00:01 1025                       /memfd:procsnap fixture (deleted)",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r--s", DevMinor: 0x01, Inode: 1025, Path: "/memfd:procsnap fixture (deleted)", Deleted: true},
		kind: KindFile,
	},
	{
		name: "sysv shm",
		line: "7f3c1a200000-7f3c1a201000 rw-s 00000000 00:01 42                         /SYSV0000002a (deleted)",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "rw-s", DevMinor: 0x01, Inode: 42, Path: "/SYSV0000002a (deleted)", Deleted: true},
		kind: KindFile,
	},
	{
		name: "shared anonymous",
		line: "7f3c1a200000-7f3c1a201000 rw-s 00000000 00:01 1027                       /dev/zero (deleted)",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "rw-s", DevMinor: 0x01, Inode: 1027, Path: "/dev/zero (deleted)", Deleted: true},
		kind: KindFile,
	},
	{
		name: "anon inode",
		line: "7f3c1a200000-7f3c1a201000 rw-s 00000000 00:0f 1063                       anon_inode:[perf_event]",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "rw-s", DevMinor: 0x0f, Inode: 1063, Path: "anon_inode:[perf_event]"},
		kind: KindFile,
	},
	{
		name: "escaped newline",
		line: "7f3c1a200000-7f3c1a201000 r--p 00000000 fe:00 12                         /tmp/a\\012b",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r--p", DevMajor: 0xfe, Inode: 12, Path: "/tmp/a\\012b"},
		kind: KindFile,
	},
	{
		name: "tab in path",
		line: "7f3c1a200000-7f3c1a201000 r--p 00000000 fe:00 12                         /tmp/a\tb",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r--p", DevMajor: 0xfe, Inode: 12, Path: "/tmp/a\tb"},
		kind: KindFile,
	},
	{
		name: "32-bit addresses",
		line: "08048000-08049000 r-xp 00000000 08:01 131                                /bin/x",
		want: Mapping{Start: 0x08048000, End: 0x08049000, Perms: "r-xp", DevMajor: 0x08, DevMinor: 0x01, Inode: 131, Path: "/bin/x"},
		kind: KindFile,
	},
	{
		name: "large offset and device",
		line: "7f3c1a200000-7f3c1a201000 r--p 1234567000 103:0a 4242                    /data/big",
		want: Mapping{Start: 0x7f3c1a200000, End: 0x7f3c1a201000, Perms: "r--p", Offset: 0x1234567000, DevMajor: 0x103, DevMinor: 0x0a, Inode: 4242, Path: "/data/big"},
		kind: KindFile,
	},
	{
		name: "fields of 71 bytes",
		line: "ffffffffff600000-ffffffffff601000 r--p 00000000 fe:00 1234567890123456   /x",
		want: Mapping{Start: 0xffffffffff600000, End: 0xffffffffff601000, Perms: "r--p", DevMajor: 0xfe, Inode: 1234567890123456, Path: "/x"},
		kind: KindFile,
	},
	{
		name: "fields of 72 bytes",
		line: "ffffffffff600000-ffffffffff601000 r--p 00000000 fe:00 12345678901234567  /x",
		want: Mapping{Start: 0xffffffffff600000, End: 0xffffffffff601000, Perms: "r--p", DevMajor: 0xfe, Inode: 12345678901234567, Path: "/x"},
		kind: KindFile,
	},
	{
		name: "fields of 73 bytes",
		line: "ffffffffff600000-ffffffffff601000 r--p 00000000 fe:00 123456789012345678  /x",
		want: Mapping{Start: 0xffffffffff600000, End: 0xffffffffff601000, Perms: "r--p", DevMajor: 0xfe, Inode: 123456789012345678, Path: "/x"},
		kind: KindFile,
	},
	{
		name: "fields past the column",
		line: "ffffffffff600000-ffffffffff601000 rw-p ffffffffff600000 fff:fffff 18446744073709551615  /x  y",
		want: Mapping{Start: 0xffffffffff600000, End: 0xffffffffff601000, Perms: "rw-p", Offset: 0xffffffffff600000, DevMajor: 0xfff, DevMinor: 0xfffff, Inode: 18446744073709551615, Path: "/x  y"},
		kind: KindFile,
	},
}
