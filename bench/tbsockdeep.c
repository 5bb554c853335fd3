/* tbsockdeep PID... — for bench scene U, whose UML guests are started by
 * the script, not by testbed up: give each guest's frame path the deep
 * send buffers that testbed up's monitor gives it at READY, with the same
 * function (guest.c's guest_deepen_nic_sockets). */
#include "testbed/guest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		int e = guest_deepen_nic_sockets(NULL, (pid_t)atoi(argv[i]));
		if (e < 0) {
			fprintf(stderr, "tbsockdeep: %s: %s\n", argv[i], strerror(-e));
			rc = 1;
		}
	}
	return rc;
}
