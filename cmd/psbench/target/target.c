// target: the process that `make bench` captures (see bench/doc.go and
// docs/PERFORMANCE.md).
//
// Usage: target SIZE_BYTES [MONITOR_SLEEP_US [CHURN_PAGES_PER_MS]]
//
// It maps SIZE_BYTES of private anonymous memory and fills it with pages
// that are in turn zero, text and random (page i: i%3 == 0 zero, 1 text,
// 2 random). Every page is written, the zero ones too, so all of them are
// resident. A monitor thread loops reading CLOCK_MONOTONIC (sleeping
// MONITOR_SLEEP_US between readings, default 50; 0 spins) and keeps the
// longest gap it saw: while the process is frozen it cannot run, so that gap
// is the frozen time as the target felt it.
//
// A churn thread, once told to, rewrites CHURN_PAGES_PER_MS pages every
// millisecond (default 4), as a busy program writes its heap while it is
// captured: each time it picks a random text or random page (never a zero
// one, so the mix stays what it was) and overwrites 8 bytes of it in kind
// (digits in a text page, random bytes in a random page). A millisecond
// lost to a freeze is not made up afterwards.
//
// When ready it prints one line:
//   ready pid=PID base=0xADDR size=BYTES pagesize=BYTES
// then answers one command per line on stdin, one reply line each:
//   reset      -> "ok"            forget the longest gap seen so far
//   stall      -> "stall NS"      the longest gap since the last reset
//   change N   -> "changed N"     change one byte in each of N distinct pages
//                                 of the second half of the region
//   churn on   -> "churn on"      start the churn thread's writes
//   churn off  -> "churn off"     stop them; no churn write follows the reply
//   quit, EOF  -> exits           (EOF: the harness died, so do not linger)
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static unsigned char *base;
static size_t npages, pagesz;
static long sleep_ns = 50000;

static _Atomic int64_t max_gap;
static _Atomic int reset_req;
static _Atomic uint64_t iterations;

static long churn_rate = 4; // pages per millisecond
static _Atomic int churn_on;
static _Atomic uint64_t churn_ticks; // milliseconds the churn thread has handled

static int64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *monitor(void *arg) {
	(void)arg;
	struct timespec d = {0, sleep_ns};
	int64_t last = now_ns();
	for (;;) {
		if (sleep_ns > 0)
			nanosleep(&d, NULL);
		int64_t t = now_ns();
		int64_t gap = t - last;
		last = t;
		// The gap that spans a reset belongs to nobody: drop it.
		if (atomic_exchange(&reset_req, 0))
			atomic_store(&max_gap, 0);
		else if (gap > atomic_load(&max_gap))
			atomic_store(&max_gap, gap);
		atomic_fetch_add(&iterations, 1);
	}
	return NULL;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void) { // xorshift64*
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static const char *words[] = {
	"the", "process", "memory", "region", "kernel", "session", "token", "error:", "connection",
	"GET /index.html HTTP/1.1", "Host: example.org", "user=admin", "snapshot", "0x7ffd12345678",
	"{\"id\":42,\"name\":\"procsnap\"}", "timeout", "request", "response", "cache", "miss",
	"a", "of", "to", "and", "in", "is", "for", "with", "on", "that", "this", "page", "thread",
	"INFO", "WARN", "DEBUG", "worker", "started", "finished", "bytes", "read", "write", "retry",
};

static void fill_text(unsigned char *p) {
	size_t n = 0, nw = sizeof words / sizeof words[0];
	while (n < pagesz) {
		uint64_t r = next_rand();
		const char *w = words[r % nw];
		char num[24];
		if ((r >> 32) % 9 == 0) { // now and then a number ending a line
			snprintf(num, sizeof num, "%u\n", (unsigned)((r >> 40) % 100000));
			w = num;
		}
		size_t l = strlen(w);
		if (n + l > pagesz)
			l = pagesz - n;
		memcpy(p + n, w, l);
		n += l;
		if (n < pagesz)
			p[n++] = ' ';
	}
}

static void fill_random(unsigned char *p) {
	for (size_t i = 0; i < pagesz; i += 8) {
		uint64_t v = next_rand();
		memcpy(p + i, &v, 8);
	}
}

static void fill(void) {
	for (size_t i = 0; i < npages; i++) {
		unsigned char *p = base + i * pagesz;
		switch (i % 3) {
		case 0:
			memset(p, 0, pagesz); // written, so resident: a zero page procsnap must read
			break;
		case 1:
			fill_text(p);
			break;
		default:
			fill_random(p);
		}
	}
}

// churn_page overwrites 8 bytes of one random non-zero page, in kind.
static void churn_page(uint64_t *state, uint64_t serial) {
	uint64_t r = *state;
	r ^= r >> 12, r ^= r << 25, r ^= r >> 27;
	*state = r;
	r *= 0x2545f4914f6cdd1dull;
	size_t page = (size_t)(r % npages);
	if (page % 3 == 0) // a zero page: take its neighbour, a text page
		page = page + 1 < npages ? page + 1 : page - 2;
	unsigned char *p = base + page * pagesz + ((r >> 40) % (pagesz / 8)) * 8;
	if (page % 3 == 1) {
		char digits[9];
		snprintf(digits, sizeof digits, "%07u ", (unsigned)(serial % 10000000));
		memcpy(p, digits, 8);
	} else {
		uint64_t v = r ^ serial;
		memcpy(p, &v, 8);
	}
}

// churner rewrites churn_rate pages each millisecond while churn_on.
static void *churner(void *arg) {
	(void)arg;
	uint64_t state = 0x243f6a8885a308d3ull, serial = 0;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000)
			next.tv_sec++, next.tv_nsec -= 1000000000;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - next.tv_sec) * 1000000000 + (now.tv_nsec - next.tv_nsec) > 1000000)
			next = now; // late (frozen, or descheduled): no burst to catch up
		if (atomic_load(&churn_on))
			for (long k = 0; k < churn_rate; k++)
				churn_page(&state, serial++);
		atomic_fetch_add(&churn_ticks, 1);
	}
	return NULL;
}

// set_churn turns the churn on or off; it returns once the churn thread
// has started a new millisecond, so no write of the old setting follows.
static void set_churn(int on) {
	atomic_store(&churn_on, on);
	uint64_t from = atomic_load(&churn_ticks);
	struct timespec d = {0, 100000};
	while (atomic_load(&churn_ticks) < from + 2)
		nanosleep(&d, NULL);
}

// change flips one byte in each of n distinct pages of the second half;
// each round uses other pages and another offset, so rounds never undo
// one another.
static void change(size_t n, unsigned round) {
	size_t half = npages / 2, span = npages - half;
	if (n > span)
		n = span;
	size_t step = n ? span / n : 1;
	for (size_t k = 0; k < n; k++) {
		size_t page = half + k * step + (round * 7) % step;
		base[page * pagesz + (round * 64) % pagesz] ^= 0x5a;
	}
}

// wait_iterations returns once the monitor has taken n more readings.
static void wait_iterations(uint64_t n) {
	uint64_t from = atomic_load(&iterations);
	struct timespec d = {0, 20000};
	while (atomic_load(&iterations) < from + n)
		nanosleep(&d, NULL);
}

static void serve(void) {
	char line[128];
	unsigned round = 0;
	while (fgets(line, sizeof line, stdin)) {
		if (strncmp(line, "reset", 5) == 0) {
			atomic_store(&reset_req, 1);
			while (atomic_load(&reset_req))
				wait_iterations(1);
			printf("ok\n");
		} else if (strncmp(line, "stall", 5) == 0) {
			wait_iterations(2); // the monitor has accounted any freeze that ended before this
			printf("stall %lld\n", (long long)atomic_load(&max_gap));
		} else if (strncmp(line, "change ", 7) == 0) {
			size_t n = strtoul(line + 7, NULL, 10);
			change(n, round++);
			printf("changed %zu\n", n);
		} else if (strncmp(line, "churn on", 8) == 0 || strncmp(line, "churn off", 9) == 0) {
			int on = line[7] == 'n';
			set_churn(on);
			printf("churn %s\n", on ? "on" : "off");
		} else if (strncmp(line, "quit", 4) == 0) {
			break;
		} else {
			printf("error unknown command\n");
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: target SIZE_BYTES [MONITOR_SLEEP_US [CHURN_PAGES_PER_MS]]\n");
		return 2;
	}
	pagesz = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = strtoull(argv[1], NULL, 10) / pagesz * pagesz;
	if (argc > 2)
		sleep_ns = atol(argv[2]) * 1000;
	if (argc > 3)
		churn_rate = atol(argv[3]);
	if (size < 3 * pagesz) {
		fprintf(stderr, "target: size %s is below 3 pages\n", argv[1]);
		return 2;
	}
	npages = size / pagesz;
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		perror("target: mmap");
		return 1;
	}
	fill();

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024); // a small stack: the bench measures the region
	pthread_t t, c;
	if (pthread_create(&t, &attr, monitor, NULL) != 0 || pthread_create(&c, &attr, churner, NULL) != 0) {
		fprintf(stderr, "target: cannot start the monitor and churn threads\n");
		return 1;
	}
	printf("ready pid=%d base=%p size=%zu pagesize=%zu\n", (int)getpid(), (void *)base, size, pagesz);
	fflush(stdout);
	serve();
	return 0;
}
