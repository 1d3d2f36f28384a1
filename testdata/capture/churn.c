// churn.c: a target whose memory changes all the time, for the exactness
// tests of a pre-copied capture.
//
// usage: churn THREADS PAGES
//
// THREADS stamping threads each own PAGES pages. Each sweeps its pages over
// and over: it stores the sweep's generation (1, 2, ...) in the first word of
// page i, then stores in its position word the number of page stores it has
// made. So at any instant, with N = position, c = N / PAGES, k = N % PAGES:
// pages below k hold c+1, pages above k hold c, and page k holds c or c+1 (the
// thread may have stored it and not yet its position). A snapshot that is not
// one instant shows some page with another value.
//
// A region thread keeps SLOTS slots of mappings changing: it maps a new one,
// grows one with mremap, or unmaps one, and fills each byte i of a mapping
// with (tag + i / 4096) & 0xff. Each slot's state word is BUSY (0) while it
// changes and otherwise tag << 32 | pages, with the address in the word
// after: a snapshot must hold every slot that is not busy exactly.
//
// It prints "ctl ADDR" (the control page: THREADS position words, then SLOTS
// pairs of state and address words), "stamp ADDR" for each thread's pages,
// then "ready", and runs until stdin ends or it is killed.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ul
#define SLOTS 8

static volatile uint64_t *ctl;
static unsigned long npages;

struct stamper {
	int id;
	volatile uint64_t *pages;
};

static void *stamp(void *arg) {
	struct stamper *s = arg;
	volatile uint64_t *pos = &ctl[s->id];
	uint64_t n = 0;
	for (uint64_t gen = 1;; gen++) {
		for (unsigned long i = 0; i < npages; i++) {
			s->pages[i * (PAGE / 8)] = gen;
			__atomic_store_n(pos, ++n, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

static void fill(unsigned char *p, unsigned long from, unsigned long to, unsigned tag) {
	for (unsigned long i = from; i < to; i++)
		p[i] = (unsigned char)(tag + i / PAGE);
}

static void *regions(void *arg) {
	(void)arg;
	volatile uint64_t *slot = ctl + 64;
	unsigned char *addr[SLOTS] = {0};
	unsigned long len[SLOTS] = {0};
	unsigned tag[SLOTS] = {0};
	unsigned next = 1;
	for (unsigned long r = 1;; r = r * 6364136223846793005ul + 1442695040888963407ul) {
		int i = (int)((r >> 33) % SLOTS);
		__atomic_store_n(&slot[2 * i], 0, __ATOMIC_RELEASE);
		if (addr[i] != NULL && (r >> 40) % 3 == 0) {
			munmap(addr[i], len[i]);
			addr[i] = NULL;
			continue; // stays busy: nothing there
		}
		if (addr[i] != NULL) {
			unsigned long grown = len[i] + PAGE * (1 + (r >> 45) % 8);
			unsigned char *p = mremap(addr[i], len[i], grown, MREMAP_MAYMOVE);
			if (p == MAP_FAILED)
				abort();
			fill(p, len[i], grown, tag[i]);
			addr[i] = p;
			len[i] = grown;
		} else {
			len[i] = PAGE * (1 + (r >> 45) % 16);
			addr[i] = mmap(NULL, len[i], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (addr[i] == MAP_FAILED)
				abort();
			tag[i] = next++ & 0xffff;
			fill(addr[i], 0, len[i], tag[i]);
		}
		slot[2 * i + 1] = (uint64_t)addr[i];
		__atomic_store_n(&slot[2 * i], (uint64_t)tag[i] << 32 | len[i] / PAGE, __ATOMIC_RELEASE);
		usleep(200);
	}
	return NULL;
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: churn THREADS PAGES\n");
		return 2;
	}
	int threads = atoi(argv[1]);
	npages = strtoul(argv[2], NULL, 10);
	if (threads < 1 || threads > 64 || npages < 1)
		return 2;
	ctl = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED)
		return 1;
	printf("ctl %p\n", (void *)ctl);
	pthread_t t;
	for (int i = 0; i < threads; i++) {
		struct stamper *s = calloc(1, sizeof *s);
		s->id = i;
		s->pages = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->pages == MAP_FAILED)
			return 1;
		madvise((void *)s->pages, npages * PAGE, MADV_NOHUGEPAGE);
		printf("stamp %p\n", (void *)s->pages);
		pthread_create(&t, NULL, stamp, s);
	}
	pthread_create(&t, NULL, regions, NULL);
	usleep(100000); // let every page be stamped once
	printf("ready\n");
	fflush(stdout);
	char line[64];
	while (read(0, line, sizeof line) > 0)
		;
	return 0;
}
