// spin.c: a target busier than the machine, for the real-program suite
// (internal/realprog).
//
// usage: spin THREADS LIFETIME_S
//
// Reads the secret, one line, from stdin and keeps a copy from malloc.
// Starts THREADS threads that spin without pause, each writing its counter
// into its own 4 MiB block. Prints "ready" on stdout once every thread
// has counted, then runs until stdin closes or LIFETIME_S seconds have
// passed (SIGALRM ends it).
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (4L << 20)

static volatile uint64_t *started;
static char *secret;

static void *spin(void *arg) {
	long i = (long)arg;
	volatile uint64_t *block = malloc(BLOCK);
	if (block == NULL)
		abort();
	memset((void *)block, (int)i, BLOCK);
	__atomic_store_n(&started[i], 1, __ATOMIC_RELEASE);
	for (uint64_t n = 0;; n++)
		block[n % (BLOCK / sizeof(uint64_t))] = n;
	return NULL;
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: spin THREADS LIFETIME_S\n");
		return 2;
	}
	long threads = atol(argv[1]);
	alarm((unsigned)atoi(argv[2]));
	char line[256];
	if (fgets(line, sizeof line, stdin) == NULL)
		return 1;
	line[strcspn(line, "\n")] = 0;
	secret = strdup(line);
	started = calloc(threads, sizeof *started);
	for (long i = 0; i < threads; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, spin, (void *)i) != 0)
			abort();
	}
	for (long i = 0; i < threads; i++)
		while (!__atomic_load_n(&started[i], __ATOMIC_ACQUIRE))
			usleep(1000);
	printf("ready\n");
	fflush(stdout);
	while (read(0, line, sizeof line) > 0)
		;
	return 0;
}
