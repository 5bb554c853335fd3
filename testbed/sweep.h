/* sweep — `testbed sweep`: one experiment run (run.h) per combination of
 * the swept parameters' values and per repeat, then
 *
 *   OUT/runs/LABEL-rR/   every run's results, as `testbed run` keeps them
 *   OUT/sweep.csv        one row per run: the swept values, the repeat, how
 *                        the run ended, then the experiment's summary CSV
 *                        summed over its rows (columns ending in _s:
 *                        averaged), failure_rate and its 95% Wilson
 *                        interval when the summary has asked and failed
 *   OUT/plot.dat, failure-rate.svg/.png   per combination, the repeats
 *                        pooled: failure rate with its interval, and the
 *                        mean of time_s (a round's time), drawn by gnuplot
 *
 * Repeat R runs with the emulator's --seed R and, when the topology declares
 * `param seed`, seed=R, so each repeat draws other random numbers and the
 * whole sweep can be repeated exactly. */
#ifndef TB_SWEEP_H
#define TB_SWEEP_H

#include "plan.h"
#include "xalloc.h"

struct sweep_param {
	char *name;
	VEC(char *) values;
};

struct sweep {
	const char *file;
	VEC(char *) fixed;               /* NAME=VALUE given with one value */
	VEC(struct sweep_param) swept;   /* NAME=V1,V2,... */
	size_t n_swept, n_combos;
	int has_seed_param;              /* the topology declares `param seed` */
	char *label;                     /* scratch of sweep_label */
};

/* Split the command line's NAME=VALUE words into fixed and swept ones. */
int sweep_init(struct sweep *s, const char *file, char *const *ov, size_t n);
void sweep_free(struct sweep *s);

/* The overrides of combination C (fixed ones, then the swept values),
 * plus EXTRA when not NULL; NULL-terminated, freed with
 * sweep_free_overrides.  sweep_n_overrides counts them without EXTRA. */
char **sweep_overrides(const struct sweep *s, size_t c, int repeat_seed, size_t *n);
size_t sweep_n_overrides(const struct sweep *s);
void sweep_free_overrides(const struct sweep *s, char **ov);

/* "hosts=4 loss=1%" (valid until the next call). */
const char *sweep_label(struct sweep *s, size_t c);

/* Run everything into OUT; FIRST is the plan of the first combination.
 * 0 when every run finished and the plot was drawn, -1 otherwise. */
int sweep_run(struct sweep *s, const char *out, unsigned repeat, const char *jobs,
	      const struct plan *first);

/* From a summary CSV (columns asked, failed, time_s): the sums of asked
 * and failed and the mean of time_s over its rows.  0, or -errno; -ENOENT
 * also when a column is missing. */
int sweep_summary_totals(const char *csv, double *asked, double *failed, double *time_s);

/* The 95% Wilson score interval of FAILED out of N. */
void sweep_wilson(double failed, double n, double *lo, double *hi);

#endif
