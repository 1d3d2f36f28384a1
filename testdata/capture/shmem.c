// shmem.c: a target with sparse shared memory for the capture tests.
//
// usage: shmem
//
// It maps 1 GiB of shared anonymous memory (shmem, "/dev/zero (deleted)" in
// maps) and writes a few pages of it, and makes a 64 MiB memfd of which it
// writes two pages with pwrite, without ever touching them through its
// mapping. Every other page exists nowhere: reading it through the mapping
// would allocate it (RssShmem grows). Each written page is filled with the
// byte (page index % 251) + 1. It prints
//
//   obj NAME ADDR LEN    a mapping
//   page NAME INDEX      a written page of it
//   ready
//
// and waits until stdin ends or it is killed.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ul
#define SHM_LEN (1ul << 30)
#define MEMFD_LEN (64ul << 20)

static void die(const char *what) {
	fprintf(stderr, "shmem: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(void) {
	static const unsigned long shm_pages[] = {0, 1, 1000, SHM_LEN / PAGE - 1};
	static const unsigned long memfd_pages[] = {3, MEMFD_LEN / PAGE - 2};
	unsigned char page[PAGE];

	unsigned char *shm = mmap(NULL, SHM_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		die("mmap shared");
	printf("obj shm %p %lu\n", (void *)shm, SHM_LEN);
	for (size_t i = 0; i < sizeof shm_pages / sizeof shm_pages[0]; i++) {
		memset(shm + shm_pages[i] * PAGE, (int)(shm_pages[i] % 251) + 1, PAGE);
		printf("page shm %lu\n", shm_pages[i]);
	}

	int fd = memfd_create("procsnap sparse memfd", 0);
	if (fd < 0 || ftruncate(fd, MEMFD_LEN) != 0)
		die("memfd");
	void *mem = mmap(NULL, MEMFD_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		die("mmap memfd");
	printf("obj memfd %p %lu\n", mem, MEMFD_LEN);
	for (size_t i = 0; i < sizeof memfd_pages / sizeof memfd_pages[0]; i++) {
		memset(page, (int)(memfd_pages[i] % 251) + 1, PAGE);
		if (pwrite(fd, page, PAGE, (off_t)(memfd_pages[i] * PAGE)) != (ssize_t)PAGE)
			die("pwrite");
		printf("page memfd %lu\n", memfd_pages[i]);
	}
	printf("ready\n");
	fflush(stdout);

	char line[64];
	while (read(0, line, sizeof line) > 0)
		;
	return 0;
}
