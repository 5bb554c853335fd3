/* plan_hostcfg — from a planned host to the per-host configuration a guest
 * boots with (lib/hostcfg.h): the bridge between the planner and the guest
 * layer. */
#ifndef TB_PLAN_HOSTCFG_H
#define TB_PLAN_HOSTCFG_H

#include "hostcfg.h"
#include "plan.h"

/* Fill C (zeroed by the caller) for host H of P, whose NICs plug into the
 * switches of STATE_DIR (an impaired interface into its own switch, named
 * after its wire).  0, or -EINVAL when a run= word cannot be written back
 * (it holds both a blank and a single quote). */
int plan_hostcfg(const struct plan *p, size_t h, const char *state_dir, struct hostcfg *c)
	__attribute__((warn_unused_result));

/* S with every ${data} replaced by DATA (a new string). */
char *plan_expand_data(const char *s, const char *data);

/* The name of the switch an interface plugs into: its segment's, or, for an
 * impaired interface, its wire's ("HOST.ethN"). */
const char *plan_iface_switch(const struct plan *p, const struct plan_iface *ifc);

#endif
