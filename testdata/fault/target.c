// target: a live process for procsnap's fault suite (cmd/procsnap/fault_*_test.go).
//
//   target MODE THREADS HEAP_MIB COUNTERS_FILE
//
// MODE is one of
//   steady  THREADS threads each increment their own counter, forever;
//   churn   the same counters, but every thread exits after a few
//           increments and is replaced by a new thread, so that tids
//           appear and vanish all the time (a thread exits mid-freeze);
//   fork    steady, plus a thread that forks a child every few
//           milliseconds and, alternately, clones a child with no exit
//           signal (a clone that PTRACE_O_TRACECLONE reports); children
//           live ~20 ms.
//
// The heap is HEAP_MIB MiB: the first half pseudo-random (incompressible),
// a quarter repeated text, the last quarter never touched. The counters
// live in COUNTERS_FILE (4096 bytes, mapped shared) so that the test reads
// them without touching this process:
//   u64 ready   (1 once the heap is filled and every thread runs)
//   u64 pid
//   u64 slots
//   u64 children (forks and clones made)
//   u64 counter[slots]
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SLOTS 256
#define CHURN_STEPS 20

struct shared {
	volatile uint64_t ready, pid, slots, children;
	volatile uint64_t counter[MAX_SLOTS];
};

static struct shared *sh;
static unsigned char *heap;
static size_t heap_len;
static int churn;

static void die(const char *what) {
	perror(what);
	exit(1);
}

static void nap(long ns) {
	struct timespec ts = {0, ns};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static void fill_heap(void) {
	uint64_t x = 0x9E3779B97F4A7C15ull;
	size_t half = heap_len / 2, quarter = heap_len / 4;
	uint64_t *w = (uint64_t *)heap;
	for (size_t i = 0; i < half / 8; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		w[i] = x;
	}
	static const char text[] = "procsnap fault target: the quick brown fox jumps over the lazy dog. ";
	for (size_t i = 0; i < quarter; i++)
		heap[half + i] = text[i % (sizeof text - 1)];
}

static void *worker(void *arg);

static void start_worker(uintptr_t slot) {
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 64 << 10);
	int err;
	while ((err = pthread_create(&t, &a, worker, (void *)slot)) == EAGAIN)
		nap(1000000);
	if (err != 0) {
		errno = err;
		die("pthread_create");
	}
	pthread_attr_destroy(&a);
}

static void *worker(void *arg) {
	uintptr_t slot = (uintptr_t)arg;
	size_t stride = heap_len / 2 / MAX_SLOTS;
	for (int step = 0;; step++) {
		sh->counter[slot]++;
		// Keep some memory changing, as a real process does.
		heap[slot * stride + (sh->counter[slot] % 4096) * 8] ^= 1;
		if (churn && step == CHURN_STEPS) {
			start_worker(slot); // a successor takes the slot; this thread exits
			return NULL;
		}
		nap(churn ? 200000 : 1000000);
	}
}

static int clone_child(void *arg) {
	(void)arg;
	nap(20000000);
	_exit(0);
}

// forker makes children forever: fork() and clone() with no exit signal.
static void *forker(void *arg) {
	(void)arg;
	static char stacks[2][64 << 10];
	for (uint64_t n = 0;; n++) {
		pid_t pid;
		if (n % 2 == 0) {
			pid = fork();
			if (pid == 0) {
				heap[0] ^= 1; // copy-on-write in the child
				nap(20000000);
				_exit(0);
			}
		} else {
			char *stack = stacks[(n / 2) % 2] + sizeof stacks[0];
			pid = clone(clone_child, stack, 0, NULL); // exit signal 0
		}
		if (pid < 0) {
			nap(5000000);
			continue;
		}
		sh->children++;
		nap(5000000);
		// Reap whatever has finished, forks and clones alike.
		while (waitpid(-1, NULL, WNOHANG | __WALL) > 0) {
		}
	}
	return NULL;
}

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: target steady|churn|fork THREADS HEAP_MIB COUNTERS_FILE\n");
		return 2;
	}
	const char *mode = argv[1];
	long slots = strtol(argv[2], NULL, 10);
	long mib = strtol(argv[3], NULL, 10);
	if (slots < 1 || slots > MAX_SLOTS || mib < 1) {
		fprintf(stderr, "target: THREADS must be 1..%d and HEAP_MIB >= 1\n", MAX_SLOTS);
		return 2;
	}
	churn = strcmp(mode, "churn") == 0;
	int fork_mode = strcmp(mode, "fork") == 0;
	if (!churn && !fork_mode && strcmp(mode, "steady") != 0) {
		fprintf(stderr, "target: unknown mode %s\n", mode);
		return 2;
	}
	int fd = open(argv[4], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, 4096) != 0)
		die(argv[4]);
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		die("mmap counters");
	heap_len = (size_t)mib << 20;
	heap = mmap(NULL, heap_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (heap == MAP_FAILED)
		die("mmap heap");
	fill_heap();
	sh->pid = (uint64_t)getpid();
	sh->slots = (uint64_t)slots;
	for (long i = 0; i < slots; i++)
		start_worker((uintptr_t)i);
	if (fork_mode) {
		pthread_t t;
		if (pthread_create(&t, NULL, forker, NULL) != 0)
			die("pthread_create forker");
	}
	__atomic_store_n(&sh->ready, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
}
