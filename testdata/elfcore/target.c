/*
 * target.c: the C target of procsnap's export-core live tests
 * (cmd/procsnap/exportcore_live_linux_test.go). Built with
 * gcc -g -O0 -pthread.
 *
 * It sets known_global at run time (so gdb can only see the value in the
 * core's memory, not in the executable's .data), maps a PROT_NONE region
 * holding a known pattern, starts NTHREADS threads that each block in
 * read() inside blocked_in_reader(), prints "ready ADDRESS" (the PROT_NONE
 * region) and blocks in main_waits() until its stdin is closed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NTHREADS 3
#define NONE_PAGES 4

volatile unsigned long known_global = 0x1111111111111111UL;
static int pipefd[2];

__attribute__((noinline)) void blocked_in_reader(int fd)
{
	char c;
	/* Nobody writes to the pipe: the thread stays here. */
	(void)read(fd, &c, 1);
}

static void *reader_thread(void *arg)
{
	(void)arg;
	blocked_in_reader(pipefd[0]);
	return NULL;
}

__attribute__((noinline)) void main_waits(void)
{
	char buf[64];
	while (read(0, buf, sizeof buf) > 0)
		;
}

int main(void)
{
	pthread_t threads[NTHREADS];
	unsigned long *none;
	int i;

	if (pipe(pipefd) != 0)
		return 1;
	known_global = 0x5eed5eed12345678UL;
	none = mmap(NULL, NONE_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (none == MAP_FAILED)
		return 1;
	for (i = 0; i < NONE_PAGES * 4096 / 8; i++)
		none[i] = 0xfeedfacecafe0000UL + i;
	if (mprotect(none, NONE_PAGES * 4096, PROT_NONE) != 0)
		return 1;
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&threads[i], NULL, reader_thread, NULL) != 0)
			return 1;
	printf("ready %p\n", (void *)none);
	fflush(stdout);
	main_waits();
	return 0;
}
