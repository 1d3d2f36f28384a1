// shared.c: two processes that share a page of memory, one of them writing
// it all the time, for the tests of capturing processes together.
//
// usage: shared
//
// The parent maps a shared anonymous page and forks; the child increments
// the page's first word without pause. Both print "pid PID" (the parent
// first), then the parent prints "shared ADDR" and "ready". They exit when
// the parent's stdin ends.
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

int main(void) {
	volatile uint64_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 1;
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			page[0]++;
	}
	printf("pid %d\nshared %p\nready\n", (int)child, (void *)page);
	fflush(stdout);
	char line[64];
	while (read(0, line, sizeof line) > 0)
		;
	kill(child, SIGKILL);
	return 0;
}
