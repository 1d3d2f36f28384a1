// marker.c: a live target for the yara tests (cmd/procsnap/yara_live_test.go).
//
// It plants markers made of a prefix and a random nonce of 12 capital
// letters, written byte by byte at run time (the prefixes are stored
// XOR-ed, so no marker is in the executable), prints where each one is and
// the nonce, then "ready", and waits until stdin ends. Lines:
//
//   heap ADDR     "PSLIVE-HEAP-"+nonce in a malloc'd buffer
//   edge ADDR     "PSLIVE-EDGE-"+nonce across a page boundary of a mapping
//   wide ADDR     "PSLIVE-WIDE-"+nonce in UTF-16LE at an odd address
//   hex ADDR      de ad be ef, 3 bytes, then the nonce
//   gapa ADDR     "PSLIVE-GAPA-"+nonce, the last bytes of a page ...
//   gapb ADDR     ... "PSLIVE-GAPB-"+nonce, the first bytes of the page after
//                 the next one, which is never touched (a zero page)
//   elf ADDR      "\x7fELF" then the nonce: the first bytes of a mapping,
//                 after a PROT_NONE guard page
//   nonce HEX
//   ready
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#define PAGE 4096ul
#define KEY 0x55

static char nonce[12];

// prefixes, XOR-ed with KEY
static const unsigned char heap_x[] = {'P' ^ KEY, 'S' ^ KEY, 'L' ^ KEY, 'I' ^ KEY, 'V' ^ KEY, 'E' ^ KEY, '-' ^ KEY, 'H' ^ KEY, 'E' ^ KEY, 'A' ^ KEY, 'P' ^ KEY, '-' ^ KEY};
static const unsigned char edge_x[] = {'P' ^ KEY, 'S' ^ KEY, 'L' ^ KEY, 'I' ^ KEY, 'V' ^ KEY, 'E' ^ KEY, '-' ^ KEY, 'E' ^ KEY, 'D' ^ KEY, 'G' ^ KEY, 'E' ^ KEY, '-' ^ KEY};
static const unsigned char wide_x[] = {'P' ^ KEY, 'S' ^ KEY, 'L' ^ KEY, 'I' ^ KEY, 'V' ^ KEY, 'E' ^ KEY, '-' ^ KEY, 'W' ^ KEY, 'I' ^ KEY, 'D' ^ KEY, 'E' ^ KEY, '-' ^ KEY};
static const unsigned char gapa_x[] = {'P' ^ KEY, 'S' ^ KEY, 'L' ^ KEY, 'I' ^ KEY, 'V' ^ KEY, 'E' ^ KEY, '-' ^ KEY, 'G' ^ KEY, 'A' ^ KEY, 'P' ^ KEY, 'A' ^ KEY, '-' ^ KEY};
static const unsigned char gapb_x[] = {'P' ^ KEY, 'S' ^ KEY, 'L' ^ KEY, 'I' ^ KEY, 'V' ^ KEY, 'E' ^ KEY, '-' ^ KEY, 'G' ^ KEY, 'A' ^ KEY, 'P' ^ KEY, 'B' ^ KEY, '-' ^ KEY};
static const unsigned char hex_x[] = {0xde ^ KEY, 0xad ^ KEY, 0xbe ^ KEY, 0xef ^ KEY, 1 ^ KEY, 2 ^ KEY, 3 ^ KEY};

// plant writes the XOR-ed prefix then the nonce at p, one byte at a time
// (every other byte with wide), and returns p.
static void *plant(volatile unsigned char *p, const unsigned char *x, size_t n, int wide) {
	size_t at = 0;
	for (size_t i = 0; i < n + sizeof nonce; i++) {
		p[at++] = i < n ? x[i] ^ KEY : (unsigned char)nonce[i - n];
		if (wide)
			p[at++] = 0;
	}
	return (void *)p;
}

static unsigned char *map(size_t pages) {
	unsigned char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

int main(void) {
	unsigned char r[sizeof nonce];
	if (getrandom(r, sizeof r, 0) != sizeof r) {
		perror("getrandom");
		return 1;
	}
	for (size_t i = 0; i < sizeof nonce; i++)
		nonce[i] = 'A' + r[i] % 26;
	unsigned char *heap = malloc(64 << 10);
	unsigned char *m = map(4);
	memset(m, 0x90, 4 * PAGE); // every page touched: one run
	unsigned char *gap = map(3);
	gap[0] = 1;                // page 0 and page 2 touched, page 1 never
	gap[2 * PAGE + 100] = 1;
	unsigned char *elf = map(2); // a guard page, then the page that starts like ELF
	if (mprotect(elf, PAGE, PROT_NONE) != 0) {
		perror("mprotect");
		return 1;
	}
	elf += PAGE;
	printf("heap %p\n", plant(heap + 17, heap_x, sizeof heap_x, 0));
	printf("edge %p\n", plant(m + PAGE - 7, edge_x, sizeof edge_x, 0));
	printf("wide %p\n", plant(m + 2 * PAGE + 1, wide_x, sizeof wide_x, 1));
	printf("hex %p\n", plant(m + 3 * PAGE + 0x40, hex_x, sizeof hex_x, 0));
	printf("gapa %p\n", plant(gap + PAGE - sizeof gapa_x - sizeof nonce, gapa_x, sizeof gapa_x, 0));
	printf("gapb %p\n", plant(gap + 2 * PAGE, gapb_x, sizeof gapb_x, 0));
	elf[0] = 0x7f, elf[1] = 'E', elf[2] = 'L', elf[3] = 'F';
	memcpy(elf + 4, nonce, sizeof nonce);
	printf("elf %p\n", (void *)elf);
	printf("nonce ");
	for (size_t i = 0; i < sizeof nonce; i++)
		printf("%02x", (unsigned char)nonce[i]);
	printf("\nready\n");
	fflush(stdout);
	char buf[64];
	while (fgets(buf, sizeof buf, stdin))
		;
	return 0;
}
