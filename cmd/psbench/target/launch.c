// launch: run a program and report its wall time and peak RSS.
//
// Usage: launch REPORT PROGRAM [ARGS...]
//
// Go starts programs with vfork (CLONE_VM), and at exec Linux folds the
// peak RSS of the memory the child shared, the harness's, into the child's
// ru_maxrss: a program started by the harness right after a 2 GiB copy
// would "peak" at 2 GiB. launch is started that way, then starts PROGRAM
// with a plain fork of its own small memory, so PROGRAM's ru_maxrss is its
// own. It writes "WALL_NS MAXRSS_KIB" to the file REPORT and exits with
// PROGRAM's exit code (128+N when signal N killed it). PROGRAM dies with
// launch (PR_SET_PDEATHSIG), so killing launch kills PROGRAM.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: launch REPORT PROGRAM [ARGS...]\n");
		return 2;
	}
	pid_t parent = getpid();
	long long start = now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		perror("launch: fork");
		return 126;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		execvp(argv[2], argv + 2);
		perror("launch: exec");
		_exit(127);
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("launch: wait4");
			return 126;
		}
	}
	long long wall = now_ns() - start;
	FILE *f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%lld %ld\n", wall, ru.ru_maxrss) < 0 || fclose(f) != 0) {
		perror("launch: write the report");
		return 126;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
