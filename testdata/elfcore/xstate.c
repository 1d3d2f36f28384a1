/*
 * xstate.c: the vector-register target of procsnap's export-core live test
 * (cmd/procsnap/exportcore_xstate_linux_test.go). Built with gcc -O1 -pthread.
 *
 * Two threads (main with seed 1, a second thread with seed 2) each load
 * known values into vector registers and then block in read(2) on stdin,
 * issued as a raw syscall in the same asm statement, so that no compiled
 * code runs between the loads and the freeze and nothing can clobber the
 * registers. The values are lane(seed, reg, i) and kval(seed, i) below;
 * the test computes the same.
 *
 * With AVX-512F and AVX-512BW: zmm0, zmm7, zmm15, zmm16 and zmm31 (all 8
 * lanes: the xmm part, the upper ymm half in the AVX component, the upper
 * zmm half in ZMM_Hi256, and registers 16-31 in Hi16_ZMM) and k1..k7.
 * With AVX only: ymm0, ymm7 and ymm15 (lanes 0-3).
 *
 * It prints "ready avx512" or "ready avx" (or "ready none" without AVX,
 * and then only waits), and exits when its stdin is closed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t lane(uint64_t seed, uint64_t reg, uint64_t i)
{
	return 0xa5a5000000000000ULL ^ (seed << 44) ^ (reg << 24) ^ (i << 8) ^ 0x5a;
}

static uint64_t kval(uint64_t seed, uint64_t i)
{
	return 0x0c0ffee000000000ULL | (seed << 16) | i;
}

struct plant {
	uint64_t z[5][8]; /* zmm0, zmm7, zmm15, zmm16, zmm31 (or ymm0, 7, 15) */
	uint64_t k[8];    /* k1..k7 at k[1..7] */
};

static void fill(struct plant *p, uint64_t seed)
{
	static const uint64_t regs[5] = {0, 7, 15, 16, 31};
	for (int r = 0; r < 5; r++)
		for (int i = 0; i < 8; i++)
			p->z[r][i] = lane(seed, regs[r], i);
	for (int i = 0; i < 8; i++)
		p->k[i] = kval(seed, i);
}

/* plant_avx512_and_read loads the registers and reads one byte of stdin. */
__attribute__((target("avx512f,avx512bw"), noinline))
static long plant_avx512_and_read(const struct plant *p, char *buf)
{
	long ret;
	__asm__ volatile(
		"vmovdqu64 0(%[p]), %%zmm0\n\t"
		"vmovdqu64 64(%[p]), %%zmm7\n\t"
		"vmovdqu64 128(%[p]), %%zmm15\n\t"
		"vmovdqu64 192(%[p]), %%zmm16\n\t"
		"vmovdqu64 256(%[p]), %%zmm31\n\t"
		"kmovq 328(%[p]), %%k1\n\t"
		"kmovq 336(%[p]), %%k2\n\t"
		"kmovq 344(%[p]), %%k3\n\t"
		"kmovq 352(%[p]), %%k4\n\t"
		"kmovq 360(%[p]), %%k5\n\t"
		"kmovq 368(%[p]), %%k6\n\t"
		"kmovq 376(%[p]), %%k7\n\t"
		"syscall\n\t"
		: "=a"(ret)
		: "a"((long)SYS_read), "D"(0L), "S"(buf), "d"(1L), [p] "r"(p)
		: "rcx", "r11", "memory", "xmm0", "xmm7", "xmm15", "xmm16", "xmm31",
		  "k1", "k2", "k3", "k4", "k5", "k6", "k7");
	return ret;
}

__attribute__((target("avx"), noinline))
static long plant_avx_and_read(const struct plant *p, char *buf)
{
	long ret;
	__asm__ volatile(
		"vmovdqu 0(%[p]), %%ymm0\n\t"
		"vmovdqu 64(%[p]), %%ymm7\n\t"
		"vmovdqu 128(%[p]), %%ymm15\n\t"
		"syscall\n\t"
		: "=a"(ret)
		: "a"((long)SYS_read), "D"(0L), "S"(buf), "d"(1L), [p] "r"(p)
		: "rcx", "r11", "memory", "xmm0", "xmm7", "xmm15");
	return ret;
}

static int mode; /* 2 avx512, 1 avx, 0 none */

/* wait_planted plants seed's values and blocks until stdin is closed. */
static void wait_planted(uint64_t seed)
{
	struct plant p;
	char buf[1];
	fill(&p, seed);
	for (;;) {
		long n;
		if (mode == 2)
			n = plant_avx512_and_read(&p, buf);
		else if (mode == 1)
			n = plant_avx_and_read(&p, buf);
		else
			n = syscall(SYS_read, 0, buf, 1);
		if (n <= 0)
			return;
	}
}

static void *second(void *arg)
{
	(void)arg;
	wait_planted(2);
	return NULL;
}

int main(void)
{
	pthread_t t;

	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
		mode = 2;
	else if (__builtin_cpu_supports("avx"))
		mode = 1;
	if (pthread_create(&t, NULL, second, NULL) != 0)
		return 1;
	printf("ready %s\n", mode == 2 ? "avx512" : mode == 1 ? "avx" : "none");
	fflush(stdout);
	wait_planted(1);
	pthread_join(t, NULL);
	return 0;
}
