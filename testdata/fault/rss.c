// rss: run a command and report its peak resident set size.
//
//   rss OUTFILE COMMAND [ARG...]
//
// Forks, execs COMMAND, waits for it with wait4 and writes the child's
// ru_maxrss (KiB) to OUTFILE. It exits as the child did (128+N when killed
// by signal N). The fault suite needs it because the rusage a Go test gets
// from os/exec is polluted: Go starts children with vfork semantics, and
// Linux carries the parent's RSS high-water mark into the child at exec, so
// every child of a large test process seems as large as the test.
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: rss OUTFILE COMMAND [ARG...]\n");
		return 125;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("rss: fork");
		return 125;
	}
	if (pid == 0) {
		execv(argv[2], argv + 2);
		perror("rss: exec");
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("rss: wait4");
		return 125;
	}
	FILE *f = fopen(argv[1], "w");
	if (f == NULL) {
		perror(argv[1]);
		return 125;
	}
	fprintf(f, "%ld\n", ru.ru_maxrss);
	fclose(f);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
