// tree.c: a process tree with a planted secret in each process, for the
// capture-set tests.
//
// usage: tree CHILDREN TAG
//
// The parent forks CHILDREN children; every process keeps the string
// "procsnap-set-secret-TAG-PID" in its heap. Each prints "proc PID" (the
// parent first), then the parent prints "ready". A child exits on SIGUSR1
// (the parent reaps it); all exit when the parent's stdin ends.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static char *plant(const char *tag) {
	char *s = malloc(128);
	snprintf(s, 128, "procsnap-set-secret-%s-%d", tag, (int)getpid());
	return s;
}

static void reap(int sig) {
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	int n = atoi(argv[1]);
	volatile char *mine = plant(argv[2]);
	printf("proc %d\n", (int)getpid());
	fflush(stdout);
	signal(SIGCHLD, reap);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			signal(SIGUSR1, SIG_DFL);
			volatile char *s = plant(argv[2]);
			printf("proc %d\n", (int)getpid());
			fflush(stdout);
			for (;;)
				pause();
			return s[0];
		}
	}
	usleep(100000);
	printf("ready\n");
	fflush(stdout);
	char line[64];
	while (read(0, line, sizeof line) > 0)
		;
	return mine[0] == 0;
}
