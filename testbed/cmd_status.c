/* cmd_status — `testbed status [NAME] [--json]` (hosts with kind, state,
 * uptime, boot time, memory and CPU; segments; wires and their counters from
 * the emulator) and `testbed list` (the testbeds that are up). */
#include "commands.h"
#include "emuctl.h"
#include "guest.h"
#include "json.h"
#include "log.h"
#include "mono.h"
#include "procinfo.h"
#include "teardown.h"
#include "testbed_state.h"
#include "units.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fmt_ms(char *buf, int64_t ns)
{
	if (ns < 0)
		strcpy(buf, "-");
	else
		fmt_duration(buf, ns / NS_PER_MS * NS_PER_MS);
}

/* The value of KEY=... among the words of LINE, 0 if absent. */
static uint64_t word_u64(const char *line, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = line; p && *p; p = strchr(p, ' '), p = p ? p + 1 : NULL) {
		uint64_t v;
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			char num[32];
			size_t n = strcspn(p + kl + 1, " \n");
			if (n >= sizeof(num))
				return 0;
			memcpy(num, p + kl + 1, n);
			num[n] = 0;
			return parse_u64(num, 0, UINT64_MAX, &v) == 0 ? v : 0;
		}
	}
	return 0;
}

/* The emulator's text stats ("WIRE port a up=1 ...", "WIRE a2b in_frames=N
 * ...", "WIRE a2b late ...") as a table, one row per wire direction. */
static void print_wires(const char *stats)
{
	char *copy = xstrdup(stats), *save = NULL;
	char ports[256] = "";
	printf("\n%-20s %-4s %-7s %10s %10s %12s %8s %8s %8s %7s\n", "WIRE", "DIR", "PORTS",
	       "IN", "OUT", "OUT_BYTES", "LOSS", "QFULL", "DROPS", "QMAX");
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char wire[128], dir[16], third[64];
		if (sscanf(l, "%127s %15s %63s", wire, dir, third) != 3)
			continue;
		if (!strcmp(dir, "port")) {
			/* ports come before the directions of their wire */
			size_t n = strlen(ports);
			if (!strcmp(third, "a"))
				n = 0;
			snprintf(ports + n, sizeof(ports) - n, "%s", word_u64(l, "up") ? "u" : "d");
			continue;
		}
		if ((strcmp(dir, "a2b") && strcmp(dir, "b2a")) || strncmp(third, "in_frames=", 10))
			continue;
		uint64_t other = word_u64(l, "link_down") + word_u64(l, "no_rule") + word_u64(l, "malformed") +
				 word_u64(l, "no_buffer") + word_u64(l, "tx_error");
		printf("%-20s %-4s %-7s %10llu %10llu %12llu %8llu %8llu %8llu %7llu\n", wire, dir,
		       ports[0] ? ports : "-",
		       (unsigned long long)word_u64(l, "in_frames"), (unsigned long long)word_u64(l, "out_frames"),
		       (unsigned long long)word_u64(l, "out_bytes"), (unsigned long long)word_u64(l, "loss"),
		       (unsigned long long)word_u64(l, "queue_full"), (unsigned long long)other,
		       (unsigned long long)word_u64(l, "qdepth_max"));
	}
	printf("(PORTS: a and b end, u up, d down; DROPS: link down, no rule, malformed, no buffer, tx error)\n");
	free(copy);
}

/* The emulator's "json stats" reply is {"wires":[...]}: keep the array. */
static void json_wires(struct json *j, const char *reply)
{
	static const char head[] = "{\"wires\":";
	size_t n = reply ? strlen(reply) : 0;
	while (n && (reply[n - 1] == '\n' || reply[n - 1] == ' '))
		n--;
	if (n > sizeof(head) && !strncmp(reply, head, sizeof(head) - 1) && reply[n - 1] == '}') {
		char *arr = xstrndup(reply + sizeof(head) - 1, n - sizeof(head));
		json_raw(j, arr);
		free(arr);
	} else if (n) {
		json_raw(j, reply);        /* another shape: pass it on as it is */
	} else {
		json_null(j);
	}
}

static int status_one(const char *state, int json)
{
	struct plan *p = NULL;
	int rc = testbed_load_plan(state, &p);
	if (rc < 0) {
		log_err("cannot read the testbed at %s: %s", state, strerror(-rc));
		return 1;
	}
	int64_t now = wall_now_ns();
	struct json j;
	size_t ready = 0;
	if (json) {
		json_init(&j, stdout, 1);
		json_obj_begin(&j);
		json_kv_str(&j, "name", p->name);
		json_kv_str(&j, "state_dir", state);
		json_key(&j, "hosts");
		json_arr_begin(&j);
	} else {
		printf("%-16s %-6s %-5s %-8s %-9s %-9s %-10s %s\n", "HOST", "KIND", "ACCEL", "STATE",
		       "UPTIME", "BOOT", "MEM(PSS)", "CPU%");
	}
	/* one pass over /proc for all hosts, not one per host */
	struct proc_snap *snap = proc_snap_take(0);
	proc_snap_use(snap);
	for (size_t h = 0; h < p->n_hosts; h++) {
		struct guest_status st;
		char *hd = guest_host_dir(state, p->hosts[h].name);
		int src = guest_status(hd, &st);
		free(hd);
		if (src < 0) {
			memset(&st, 0, sizeof(st));
			st.state = GUEST_UNKNOWN;
			st.boot_ns = -1;
		}
		int64_t up = st.started_wall_ns > 0 ? now - st.started_wall_ns : -1;
		double cpu = up > 0 ? 100.0 * (double)st.cpu_ns / (double)up : 0;
		ready += st.state == GUEST_READY;
		if (json) {
			json_obj_begin(&j);
			json_kv_str(&j, "name", p->hosts[h].name);
			json_kv_str(&j, "kind", plan_kind_names[p->hosts[h].kind]);
			json_kv_str(&j, "accel", st.accel ? st.accel : "-");
			json_kv_str(&j, "state", guest_state_name(st.state));
			if (st.reason)
				json_kv_str(&j, "reason", st.reason);
			json_kv_int(&j, "attempts", st.attempts);
			json_kv_int(&j, "uptime_ns", up);
			json_kv_int(&j, "boot_ns", st.boot_ns);
			json_kv_uint(&j, "pss_bytes", st.pss);
			json_kv_int(&j, "cpu_ns", st.cpu_ns);
			json_kv_double(&j, "cpu_percent", cpu);
			json_obj_end(&j);
		} else {
			char u1[UNITS_BUFSZ], u2[UNITS_BUFSZ], m[UNITS_BUFSZ];
			fmt_ms(u1, up);
			fmt_ms(u2, st.boot_ns);
			snprintf(m, sizeof(m), "%.1fM", (double)st.pss / (1 << 20));
			printf("%-16s %-6s %-5s %-8s %-9s %-9s %-10s %.1f%s%s\n", p->hosts[h].name,
			       plan_kind_names[p->hosts[h].kind], st.accel ? st.accel : "-",
			       guest_state_name(st.state), u1, u2, m, cpu,
			       st.reason ? "  " : "", st.reason ? st.reason : "");
		}
		if (src == 0)
			guest_status_free(&st);
	}
	proc_snap_use(NULL);
	proc_snap_free(snap);
	char *ctl = xasprintf("%s/emu.ctl", state), *reply = NULL;
	int erc = p->n_wires ? emuctl_cmd(ctl, json ? "json stats" : "stats", &reply) : -ENOENT;
	if (json) {
		json_arr_end(&j);
		json_key(&j, "segments");
		json_arr_begin(&j);
		for (size_t s = 0; s < p->n_segments; s++)
			json_str(&j, p->segments[s].name);
		json_arr_end(&j);
		/* the emulator's wires with their counters; null (and why) when
		 * there are none or the emulator does not answer */
		json_key(&j, "wires");
		if (erc == 0)
			json_wires(&j, reply);
		else
			json_null(&j);
		if (p->n_wires && erc < 0)
			json_kv_str(&j, "wires_error", reply && reply[0] ? reply : strerror(-erc));
		json_obj_end(&j);
		json_finish(&j);
	} else {
		printf("\n%zu of %zu hosts ready; %zu segments:", ready, p->n_hosts, p->n_segments);
		for (size_t s = 0; s < p->n_segments; s++)
			printf(" %s", p->segments[s].name);
		printf("\n");
		if (p->n_wires) {
			if (erc == 0)
				print_wires(reply ? reply : "");
			else
				printf("\nwires: the emulator does not answer (%s)\n",
				       reply ? reply : strerror(-erc));
		}
	}
	free(reply);
	free(ctl);
	plan_free(p);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	int json = 0, rc = 0;
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!name && argv[i][0] != '-')
			name = argv[i];
		else {
			fprintf(stderr, "usage: testbed status [NAME|FILE] [--json]\n");
			return 2;
		}
	}
	if (name) {
		char *state = testbed_resolve(name);
		if (!state || access(state, F_OK) < 0) {
			log_err("no testbed %s is up; 'testbed list' shows those that are.", name);
			free(state);
			return 1;
		}
		rc = status_one(state, json);
		free(state);
		return rc;
	}
	char **names = testbed_names();
	if (!names[0] && !json)
		printf("no testbed is up\n");
	for (char **n = names; *n; n++) {
		char *state = testbed_resolve(*n);
		if (!json)
			printf("%s== %s\n", n == names ? "" : "\n", *n);
		rc |= status_one(state, json);
		free(state);
	}
	testbed_names_free(names);
	return rc;
}

int cmd_list(int argc, char **argv)
{
	char **names = testbed_names();
	for (char **n = names; *n; n++) {
		char *state = testbed_resolve(*n);
		printf("%-32s %s\n", *n, testbed_alive(state) ? "up" : "stale (crashed; 'testbed down' removes it)");
		free(state);
	}
	testbed_names_free(names);
	return 0;
}
