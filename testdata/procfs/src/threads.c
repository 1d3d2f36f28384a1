/*
 * threads: the multi-threaded C fixture target of testdata/procfs/capture.sh.
 *
 * It maps one of each kind of area that maps must print exactly, names its threads with
 * spaces and parentheses (for stat's comm), prints "ready", and waits for stdin to close.
 * Usage: threads DIR   (DIR: a scratch directory for the files it maps)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

enum { WORKERS = 4 };

static void die(const char *what) { perror(what); exit(1); }

/* map_file creates DIR/NAME, one page long, and maps it shared; unlink removes it after. */
static void map_file(const char *dir, const char *name, int unlink_after) {
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 4096) < 0) die(path);
	if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED) die("mmap file");
	close(fd);
	if (unlink_after && unlink(path) < 0) die("unlink");
}

static void map_specials(const char *dir) {
	map_file(dir, "two  spaces  and trailing  ", 0);
	map_file(dir, "unlinked file", 1);

	int mfd = memfd_create("procsnap fixture", 0);
	if (mfd < 0 || ftruncate(mfd, 4096) < 0) die("memfd");
	if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, mfd, 0) == MAP_FAILED) die("mmap memfd");

	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (shm < 0 || shmat(shm, NULL, 0) == (void *)-1) die("shm");
	shmctl(shm, IPC_RMID, NULL);

	if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		die("mmap shared anon");

	size_t len = 3 * 4096;
	char *anon = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED) die("mmap anon");
	if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, anon, len, "procsnap fixture") < 0)
		perror("PR_SET_VMA_ANON_NAME (needs CONFIG_ANON_VMA_NAME)");
	memset(anon, 0x5a, len);
}

static void *worker(void *arg) {
	char name[16];
	snprintf(name, sizeof name, "wk (%ld) x)", (long)arg);
	pthread_setname_np(pthread_self(), name);
	for (;;) pause();
	return NULL;
}

int main(int argc, char **argv) {
	if (argc != 2) { fprintf(stderr, "usage: threads DIR\n"); return 2; }
	map_specials(argv[1]);
	for (long i = 0; i < WORKERS; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, (void *)i) != 0) die("pthread_create");
	}
	usleep(100 * 1000); /* let the workers name themselves */
	printf("ready\n");
	fflush(stdout);
	char buf[64];
	while (read(0, buf, sizeof buf) > 0) {}
	return 0;
}
