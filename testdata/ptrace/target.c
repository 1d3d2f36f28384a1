// target.c: a multi-threaded process for the snapshot/internal/ptrace tests.
//
// usage: target THREADS BUSY SLEEP_US MODE
//   THREADS   counting threads besides the main thread (at most MAXTHREADS)
//   BUSY      how many of them count without pause; the others sleep SLEEP_US
//             microseconds between counts
//   MODE      run:         the main thread waits forever
//             spawn:       two more threads create and join short-lived
//                          threads in a loop, counting each round
//             leader-exit: the main thread calls pthread_exit, leaving a
//                          zombie thread-group leader
//
// counters[0] counts SIGUSR1 deliveries; counters[1..] belong to the counting
// and spawning threads. When every one of those has counted, the main thread
// prints "ready <address of counters> <number of counters>" on stdout. The
// tests read the counters with process_vm_readv.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXTHREADS 1024
#define SPAWNERS 2

static volatile unsigned long counters[1 + MAXTHREADS + SPAWNERS];
static long sleep_us;

static void on_usr1(int sig) {
	(void)sig;
	__atomic_add_fetch(&counters[0], 1, __ATOMIC_RELAXED);
}

static void *busy(void *arg) {
	volatile unsigned long *c = &counters[(long)arg];
	for (;;)
		(*c)++;
	return NULL;
}

static void *sleepy(void *arg) {
	volatile unsigned long *c = &counters[(long)arg];
	struct timespec ts = {sleep_us / 1000000, (sleep_us % 1000000) * 1000};
	for (;;) {
		(*c)++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void *short_lived(void *arg) {
	return arg;
}

static void *spawner(void *arg) {
	volatile unsigned long *c = &counters[(long)arg];
	for (;;) {
		pthread_t t;
		if (pthread_create(&t, NULL, short_lived, NULL) == 0)
			pthread_join(t, NULL);
		(*c)++;
	}
	return NULL;
}

static void start(void *(*fn)(void *), long slot) {
	pthread_t t;
	int err = pthread_create(&t, NULL, fn, (void *)slot);
	if (err != 0) {
		fprintf(stderr, "pthread_create: %s\n", strerror(err));
		exit(1);
	}
}

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: target THREADS BUSY SLEEP_US run|spawn|leader-exit\n");
		return 2;
	}
	long n = atol(argv[1]), nbusy = atol(argv[2]);
	const char *mode = argv[4];
	sleep_us = atol(argv[3]);
	if (n < 0 || n > MAXTHREADS || nbusy < 0 || nbusy > n || sleep_us <= 0) {
		fprintf(stderr, "target: bad arguments\n");
		return 2;
	}
	signal(SIGUSR1, on_usr1);
	long slots = n;
	for (long i = 1; i <= n; i++)
		start(i <= nbusy ? busy : sleepy, i);
	if (strcmp(mode, "spawn") == 0)
		for (long i = 0; i < SPAWNERS; i++)
			start(spawner, ++slots);

	for (long i = 1; i <= slots; i++)
		while (counters[i] == 0)
			usleep(1000);
	printf("ready %p %ld\n", (void *)counters, slots + 1);
	fflush(stdout);

	if (strcmp(mode, "leader-exit") == 0)
		pthread_exit(NULL);
	for (;;)
		pause();
}
