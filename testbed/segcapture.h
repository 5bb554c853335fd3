/* segcapture — `capture=yes` segments: from `testbed up` to `testbed down`,
 * every frame of the segment goes to STATE/capture/SEG.pcap.
 *
 * Each is a `testbed capture NAME SEG -w FILE` process (this same binary),
 * recorded in STATE/objects before it runs, so `down` stops it (SIGTERM:
 * the file is closed cleanly) like any other object; the switch stays a hub
 * for the testbed's life.  `testbed run` keeps the files with the results. */
#ifndef TB_SEGCAPTURE_H
#define TB_SEGCAPTURE_H

#include "plan.h"

/* Start a capture for every capture=yes segment of P (their switches are
 * running); returns once each is plugged in.  0, or -1 with *why set. */
int segcapture_start(const struct plan *p, const char *state, char **why);

/* STATE/capture (a new string). */
char *segcapture_dir(const char *state);

#endif
