// content.c: a target with known memory content for the capture tests.
//
// usage: content DIR
//
// It fills memory of many kinds with a pattern that the test computes too
// (pat below, contentPattern in snapshot/capture_helpers_test.go), prints one
// line per object and then "ready", and waits until stdin ends or it is
// killed. Lines:
//
//   obj NAME ADDR LEN TAG   LEN bytes at ADDR hold pat(TAG, 0..LEN-1)
//   data ADDR LEN           the .data marker, DATA_MARKER below
//   sparse-page INDEX       a touched page of the sparse region (which is
//                           otherwise never touched)
//   ready
//
// Objects: heap (malloc), stack (main's frame), "spaced" (a file whose name
// has spaces, mapped private read-only), "deleted" (a file mapped shared and
// then unlinked), memfd (shared), "prot-none" (written, then made PROT_NONE),
// "sparse" (16 GiB MAP_NORESERVE between two PROT_NONE guard pages; only the
// sparse-page pages are written and only they follow the pattern, the rest
// reads as zeros) and "many" (3000 pages whose protection alternates
// rw-/r--, so each is a mapping of its own).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ul
#define MANY 3000
#define SPARSE_LEN (16ul << 30)

#define DATA_MARKER "procsnap .data marker: initialised data, stored in the executable's .data section"

char data_marker[4096] = DATA_MARKER;

static const unsigned long sparse_pages[] = {0, 1, 1000, 262144, 2097152, (SPARSE_LEN / PAGE) - 1};

static unsigned char pat(unsigned tag, uint64_t i) {
	uint64_t x = (i >> 3) * 0x9E3779B97F4A7C15ull + (uint64_t)tag * 0xBF58476D1CE4E5B9ull;
	x ^= x >> 29;
	return (unsigned char)(x >> (8 * (i & 7)));
}

static void fill(unsigned char *p, size_t n, unsigned tag, uint64_t from) {
	for (size_t i = 0; i < n; i++)
		p[i] = pat(tag, from + i);
}

static void die(const char *what) {
	fprintf(stderr, "content: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void report(const char *name, void *p, size_t n, unsigned tag) {
	printf("obj %s %p %zu %u\n", name, p, n, tag);
}

static void *map_file(const char *path, size_t n, unsigned tag, int prot, int flags) {
	unsigned char *buf = malloc(n);
	if (buf == NULL)
		die("malloc");
	fill(buf, n, tag, 0);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(path);
	if (write(fd, buf, n) != (ssize_t)n)
		die("write");
	free(buf);
	void *p = mmap(NULL, n, prot, flags, fd, 0);
	if (p == MAP_FAILED)
		die("mmap file");
	close(fd);
	return p;
}

static void *map_anon(size_t n, int flags) {
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	if (p == MAP_FAILED)
		die("mmap anon");
	return p;
}

static void objects(const char *dir) {
	char path[4096];

	unsigned char *heap = malloc(64 << 10);
	if (heap == NULL)
		die("malloc");
	fill(heap, 64 << 10, 1, 0);
	report("heap", heap, 64 << 10, 1);

	snprintf(path, sizeof path, "%s/file with  two spaces.bin", dir);
	report("spaced", map_file(path, 3 * PAGE, 4, PROT_READ, MAP_PRIVATE), 3 * PAGE, 4);

	snprintf(path, sizeof path, "%s/deleted file.bin", dir);
	void *del = map_file(path, 2 * PAGE, 5, PROT_READ | PROT_WRITE, MAP_SHARED);
	if (unlink(path) != 0)
		die("unlink");
	report("deleted", del, 2 * PAGE, 5);

	int mfd = memfd_create("procsnap test memfd", 0);
	if (mfd < 0 || ftruncate(mfd, 2 * PAGE) != 0)
		die("memfd");
	unsigned char *mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (mem == MAP_FAILED)
		die("mmap memfd");
	fill(mem, 2 * PAGE, 6, 0);
	report("memfd", mem, 2 * PAGE, 6);

	unsigned char *hidden = map_anon(4 * PAGE, 0);
	fill(hidden, 4 * PAGE, 7, 0);
	if (mprotect(hidden, 4 * PAGE, PROT_NONE) != 0)
		die("mprotect none");
	report("prot-none", hidden, 4 * PAGE, 7);

	// PROT_NONE guard pages on both sides keep the sparse mapping from
	// merging with a neighbour.
	unsigned char *sparse = (unsigned char *)map_anon(SPARSE_LEN + 2 * PAGE, MAP_NORESERVE) + PAGE;
	if (mprotect(sparse - PAGE, PAGE, PROT_NONE) != 0 || mprotect(sparse + SPARSE_LEN, PAGE, PROT_NONE) != 0)
		die("mprotect guard");
	madvise(sparse, SPARSE_LEN, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < sizeof sparse_pages / sizeof sparse_pages[0]; i++) {
		fill(sparse + sparse_pages[i] * PAGE, PAGE, 8, sparse_pages[i] * PAGE);
		printf("sparse-page %lu\n", sparse_pages[i]);
	}
	printf("obj sparse %p %lu 8\n", (void *)sparse, SPARSE_LEN);

	unsigned char *many = map_anon(MANY * PAGE, 0);
	madvise(many, MANY * PAGE, MADV_NOHUGEPAGE);
	fill(many, MANY * PAGE, 9, 0);
	for (int i = 1; i < MANY; i += 2)
		if (mprotect(many + i * PAGE, PAGE, PROT_READ) != 0)
			die("mprotect read");
	report("many", many, MANY * PAGE, 9);
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: content DIR\n");
		return 2;
	}
	unsigned char stack[16 << 10];
	fill(stack, sizeof stack, 2, 0);
	report("stack", stack, sizeof stack, 2);
	printf("data %p %zu\n", (void *)data_marker, strlen(DATA_MARKER));
	objects(argv[1]);
	printf("ready\n");
	fflush(stdout);

	char line[64];
	while (read(0, line, sizeof line) > 0)
		;
	// Use the stack buffer after the wait, so that it stays live.
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof stack; i++)
		sum += stack[i];
	return sum == 0xffffffff;
}
