// target.c: the process the fleet tests capture through ssh, Ansible and the
// Velociraptor artifact's argv.
//
// usage: target SECRET
//
// It writes "procsnap-fleet-secret=SECRET" into a heap buffer (a string that
// is in the process's memory but not in its argv or environment), prints
// "ready" on stdout, and waits until stdin ends. The tests capture it and
// search the archive for that string.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// planted keeps the secret reachable from outside main, so that the
// compiler writes it into the heap and keeps it there.
char *volatile planted;

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: target SECRET\n");
		return 2;
	}
	static const char prefix[] = "procsnap-fleet-secret=";
	size_t n = strlen(argv[1]);
	char *secret = malloc(sizeof prefix + n);
	if (secret == NULL)
		return 1;
	memcpy(secret, prefix, sizeof prefix - 1);
	memcpy(secret + sizeof prefix - 1, argv[1], n + 1);
	planted = secret;
	printf("ready\n");
	fflush(stdout);
	char buf[256];
	while (read(0, buf, sizeof buf) > 0)
		;
	return 0;
}
