// threads.c: a busy multi-threaded target for the capture tests.
//
// usage: threads THREADS BIG_MIB
//
// THREADS counting threads each own slot i of two arrays of counters: A, in a
// block from malloc, and B, in a separate mapping about 1 GiB above A. In a
// loop a thread stores its next count into A[i] and then into B[i], so at any
// instant A[i] - B[i] is 0 or 1: a snapshot in which they differ by more was
// not taken with the whole process frozen. Threads 0 and 1 count without
// pause; the others count in bursts and sleep between them.
//
// One more thread keeps creating short-lived threads, each of which counts
// once in the last slot (THREADS) and exits; the spawner joins it and starts
// the next.
//
// BIG_MIB, if not 0, maps that many MiB of private anonymous memory filled
// with a pseudo-random pattern, to make the capture take a while.
//
// When every slot has counted, the main thread prints
//   ready A=<addr> B=<addr> N=<slots> BIG=<addr> BIGLEN=<bytes>
// on stdout and sleeps until killed. The target lowers its own priority: it
// shares the machine with the test.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BUSY 2
#define BURST 512
#define PAUSE_NS 200000L

static volatile uint64_t *A, *B;
static long nthreads;

static void nap(long ns) {
	struct timespec ts = {0, ns};
	nanosleep(&ts, NULL);
}

static void *counter(void *arg) {
	long i = (long)arg;
	uint64_t c = 0;
	for (;;) {
		for (int k = 0; k < BURST; k++) {
			c++;
			A[i] = c;
			B[i] = c;
		}
		if (i >= BUSY)
			nap(PAUSE_NS);
	}
	return NULL;
}

static void *short_lived(void *arg) {
	uint64_t c = (uint64_t)(uintptr_t)arg;
	A[nthreads] = c;
	B[nthreads] = c;
	return NULL;
}

static void *spawner(void *arg) {
	(void)arg;
	for (uint64_t c = 1;; c++) {
		pthread_t t;
		if (pthread_create(&t, NULL, short_lived, (void *)(uintptr_t)c) == 0)
			pthread_join(t, NULL);
		nap(20000L);
	}
	return NULL;
}

static void start(void *(*fn)(void *), long arg) {
	pthread_t t;
	int err = pthread_create(&t, NULL, fn, (void *)arg);
	if (err != 0) {
		fprintf(stderr, "threads: pthread_create: %s\n", strerror(err));
		exit(1);
	}
}

// fill_big maps n bytes and fills them with xorshift64 output.
static void *fill_big(size_t n) {
	if (n == 0)
		return NULL;
	uint64_t *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("threads: mmap big");
		exit(1);
	}
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < n / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	return p;
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: threads THREADS BIG_MIB\n");
		return 2;
	}
	nthreads = atol(argv[1]);
	long big = atol(argv[2]);
	if (nthreads < BUSY || nthreads > 4096 || big < 0) {
		fprintf(stderr, "threads: bad arguments\n");
		return 2;
	}
	if (nice(10) == -1)
		perror("threads: nice");
	size_t len = (size_t)(nthreads + 1) * sizeof(uint64_t);
	A = malloc(len);
	if (A == NULL) {
		perror("threads: malloc");
		return 1;
	}
	memset((void *)A, 0, len);
	// B goes 1 GiB above A, page-aligned, in a mapping of its own.
	uintptr_t want = (((uintptr_t)A + (1ul << 30)) & ~(uintptr_t)0xfff);
	B = mmap((void *)want, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (B == MAP_FAILED) {
		perror("threads: mmap B");
		return 1;
	}
	void *bigp = fill_big((size_t)big << 20);

	for (long i = 0; i < nthreads; i++)
		start(counter, i);
	start(spawner, 0);
	for (long i = 0; i <= nthreads; i++)
		while (B[i] == 0)
			nap(1000000L);
	printf("ready A=%p B=%p N=%ld BIG=%p BIGLEN=%zu\n", (void *)A, (void *)B, nthreads + 1, bigp,
	       (size_t)big << 20);
	fflush(stdout);
	for (;;)
		pause();
}
