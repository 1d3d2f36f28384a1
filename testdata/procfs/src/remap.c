// remap.c: a target that changes its mappings as fast as it can, for the
// test that procfs's maps listings stay in address order.
//
// usage: remap THREADS
//
// It maps 256 slots of two pages with alternating protections (so the
// kernel cannot merge neighbours and the listing spans several pages of
// text), then each of THREADS threads grows one page of its own slot in
// place with mremap into the page after it and shrinks it back, over and
// over, without pause. It prints "ready" and runs
// until stdin ends or it is killed.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ul
#define REGIONS 256

static unsigned char *base;

static void *remap(void *arg) {
	// Thread i owns slot 4i+2: a read-execute page, then a hole it grows
	// into.
	unsigned char *p = base + (4 * (long)arg + 2) * 2 * PAGE;
	for (;;) {
		if (mremap(p, PAGE, 2 * PAGE, 0) == MAP_FAILED)
			abort();
		if (mremap(p, 2 * PAGE, PAGE, 0) == MAP_FAILED)
			abort();
	}
	return NULL;
}

int main(int argc, char **argv) {
	int threads = argc == 2 ? atoi(argv[1]) : 0;
	if (threads < 1 || threads > REGIONS / 4) {
		fprintf(stderr, "usage: remap THREADS (1-%d)\n", REGIONS / 4);
		return 2;
	}
	// REGIONS slots of two pages each: even slots read-only, odd ones
	// read-write, and slot 4i+2 one read-execute page and a hole.
	base = mmap(NULL, REGIONS * 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return 1;
	for (int i = 0; i < REGIONS; i++) {
		unsigned char *s = base + i * 2 * PAGE;
		if (i % 4 == 2) {
			mprotect(s, PAGE, PROT_READ | PROT_EXEC);
			munmap(s + PAGE, PAGE);
		} else if (i % 2) {
			mprotect(s, 2 * PAGE, PROT_READ | PROT_WRITE);
		}
	}
	pthread_t t;
	for (long i = 0; i < threads; i++)
		pthread_create(&t, NULL, remap, (void *)i);
	printf("ready\n");
	fflush(stdout);
	char line[64];
	while (read(0, line, sizeof line) > 0)
		;
	return 0;
}
