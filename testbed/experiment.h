/* experiment — the run's data directory and the experiment statement's
 * prepare step, shared by `testbed up` and `testbed run`.
 *
 * Every testbed has a data directory, STATE/data, which run= programs see
 * as ${data} (plan.h).  When the topology has an experiment statement,
 * `testbed up` runs its prepare command on the machine before any guest
 * starts (e.g. agents-keygen writing this run's keys into ${data}), so that
 * programs find their inputs at their first start. */
#ifndef TB_EXPERIMENT_H
#define TB_EXPERIMENT_H

#include "plan.h"

/* STATE/data (a new string). */
char *experiment_data_dir(const char *state);

/* Create STATE/data and run the prepare command, if any, to its end (output
 * in STATE/prepare.log).  0, or -1 with *why set (a new string). */
int experiment_prepare(const struct plan *p, const char *state, char **why);

/* STATE/data.cpio: the data directory as a cpio archive (newc), which QEMU
 * guests read through fw_cfg (they have no shared file system). */
char *experiment_data_archive(const char *state);

/* Write DIR's regular files and directories as a newc cpio archive to
 * PATH (written aside, then renamed).  0 or -errno. */
int experiment_write_cpio(const char *dir, const char *path);

#endif
