/* tbsockdeep PID... — for bench scene U, whose UML guests are started by
 * the script, not by testbed up: give each guest's frame path the deep
 * send buffers that testbed up's monitor gives it at READY (guest_uml.c's
 * uml_ready: the UML process and its vde_plug child, lib/sockdeep). */
#include "sockdeep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		int n = sockdeep_process_and_children(atoi(argv[i]), "vde_plug", 8 << 20);
		if (n < 0) {
			fprintf(stderr, "tbsockdeep: %s: %s\n", argv[i], strerror(-n));
			rc = 1;
		} else {
			printf("%s %d\n", argv[i], n);
		}
	}
	return rc;
}
