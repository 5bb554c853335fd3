/* cmd_guest — `testbed exec`, `testbed console` and the plumbing command
 * `testbed guest start|stop|status` (one guest at a time, from a host
 * description file; `testbed up` does the same for a whole topology). */
#include "commands.h"
#include "guest.h"
#include "json.h"
#include "log.h"
#include "mono.h"
#include "units.h"

#include <errno.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int host_dir_of(const char *testbed, const char *host, char **out)
{
	char *state = guest_state_dir(testbed);
	struct stat sb;
	*out = guest_host_dir(state, host);
	free(state);
	if (stat(*out, &sb) < 0) {
		log_err("testbed %s has no host %s ('testbed guest status %s' lists them).",
			testbed, host, testbed);
		return -ENOENT;
	}
	return 0;
}

int cmd_exec(int argc, char **argv)
{
	char *hostdir;
	int status = 0, rc;

	if (argc < 5 || strcmp(argv[3], "--")) {
		log_err("usage: testbed exec TESTBED HOST -- CMD [ARGS...]");
		return 2;
	}
	if (host_dir_of(argv[1], argv[2], &hostdir) < 0)
		return 2;
	rc = guest_exec(hostdir, argv + 4, 1, 2, &status);
	if (rc < 0) {
		if (rc != -EAGAIN)
			log_err("cannot run a command on %s: %s (is the guest running? 'testbed guest status %s %s')",
				argv[2], strerror(-rc), argv[1], argv[2]);
		free(hostdir);
		return 255;
	}
	free(hostdir);
	return status;
}

int cmd_console(int argc, char **argv)
{
	char *hostdir;
	int rc;

	if (argc != 3) {
		log_err("usage: testbed console TESTBED HOST");
		return 2;
	}
	if (host_dir_of(argv[1], argv[2], &hostdir) < 0)
		return 2;
	if (isatty(0))
		fprintf(stderr, "console of %s; detach with Ctrl-]\r\n", argv[2]);
	rc = guest_console(hostdir, 0, 1, 0x1d);
	free(hostdir);
	if (rc < 0) {
		log_err("cannot attach to the console of %s: %s", argv[2], strerror(-rc));
		return 1;
	}
	if (isatty(0))
		fprintf(stderr, "\r\ndetached\r\n");
	return 0;
}

/* testbed guest start TESTBED HOSTFILE [--netns NS] [--images DIR] [--retries N] [--timeout DUR] */
static int guest_start_cmd(int argc, char **argv)
{
	struct guest_start_opts o = { .retries = -1 };
	struct hostcfg cfg;
	char *err = NULL, *why = NULL, *state;
	int rc;

	if (argc < 3) {
		log_err("usage: testbed guest start TESTBED HOSTFILE [--netns NS] [--images DIR] [--retries N] [--timeout DURATION]");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (i + 1 >= argc) {
			log_err("%s needs a value", argv[i]);
			return 2;
		}
		uint64_t n;
		if (!strcmp(argv[i], "--netns"))
			o.netns = argv[++i];
		else if (!strcmp(argv[i], "--images"))
			o.images = argv[++i];
		else if (!strcmp(argv[i], "--retries")) {
			if (parse_u64(argv[++i], 0, 100, &n) < 0) {
				log_err("--retries takes a number from 0 to 100, not '%s'", argv[i]);
				return 2;
			}
			o.retries = (int)n;
		} else if (!strcmp(argv[i], "--timeout")) {
			if (parse_duration(argv[++i], &o.boot_timeout_ns) < 0) {
				log_err("--timeout takes " UNITS_EXPECT_DURATION ", not '%s'", argv[i]);
				return 2;
			}
		} else {
			log_err("unknown option '%s'", argv[i]);
			return 2;
		}
	}
	rc = hostcfg_load(argv[2], &cfg, &err);
	if (rc < 0) {
		log_err("%s: %s", argv[2], err ? err : strerror(-rc));
		free(err);
		return 2;
	}
	state = guest_state_dir(argv[1]);
	rc = guest_start(state, &cfg, &o, &why);
	if (rc == 0) {
		char *hostdir = guest_host_dir(state, cfg.name);
		struct guest_status st;
		if (guest_status(hostdir, &st) == 0)
			printf("%s ready kind=%s accel=%s boot=%.3fs attempts=%d\n", cfg.name, st.kind,
			       st.accel, st.boot_ns / 1e9, st.attempts);
		guest_status_free(&st);
		free(hostdir);
	} else if (rc == -EEXIST) {
		log_err("host %s already exists in %s; 'testbed guest stop %s %s' first.", cfg.name, state,
			argv[1], cfg.name);
	} else {
		log_err("host %s did not start: %s", cfg.name, why ? why : strerror(-rc));
	}
	free(why);
	free(state);
	hostcfg_free(&cfg);
	return rc == 0 ? 0 : 1;
}

static int guest_stop_cmd(int argc, char **argv)
{
	int64_t timeout = 10 * NS_PER_SEC;
	char *hostdir;
	int rc;

	if (argc != 3 && !(argc == 5 && !strcmp(argv[3], "--timeout"))) {
		log_err("usage: testbed guest stop TESTBED HOST [--timeout DURATION]");
		return 2;
	}
	if (argc == 5 && parse_duration(argv[4], &timeout) < 0) {
		log_err("--timeout takes " UNITS_EXPECT_DURATION ", not '%s'", argv[4]);
		return 2;
	}
	if (host_dir_of(argv[1], argv[2], &hostdir) < 0)
		return 1;
	rc = guest_destroy(hostdir, timeout);
	free(hostdir);
	if (rc < 0) {
		log_err("stopping %s: %s", argv[2], strerror(-rc));
		return 1;
	}
	/* the last host out removes the (plumbing) testbed directory */
	char *state = guest_state_dir(argv[1]), *hosts = xasprintf("%s/hosts", state);
	rmdir(hosts);
	rmdir(state);
	rmdir("/run/testbed");
	free(hosts);
	free(state);
	return 0;
}

static void status_one(struct json *j, const char *hostdir, int *n)
{
	struct guest_status st;
	if (guest_status(hostdir, &st) < 0) {
		guest_status_free(&st);
		return;
	}
	char b1[UNITS_BUFSZ];
	if (j) {
		json_obj_begin(j);
		json_kv_str(j, "host", st.name);
		json_kv_str(j, "kind", st.kind ? st.kind : "?");
		json_kv_str(j, "state", guest_state_name(st.state));
		json_kv_str(j, "accel", st.accel ? st.accel : "-");
		json_kv_int(j, "attempts", st.attempts);
		json_key(j, "boot_ns");
		if (st.boot_ns >= 0)
			json_int(j, st.boot_ns);
		else
			json_null(j);
		json_kv_uint(j, "pss_bytes", st.pss);
		json_kv_int(j, "cpu_ns", st.cpu_ns);
		json_kv_int(j, "processes", st.nprocs);
		if (st.reason)
			json_kv_str(j, "reason", st.reason);
		json_obj_end(j);
	} else {
		char boot[32] = "-";
		if (st.boot_ns >= 0)
			snprintf(boot, sizeof(boot), "%.3fs", st.boot_ns / 1e9);
		printf("%-16s %-6s %-8s %-5s %8s %10s %9.2fs %s\n", st.name, st.kind ? st.kind : "?",
		       guest_state_name(st.state), st.accel ? st.accel : "-", boot,
		       fmt_size(b1, st.pss / 1024 * 1024), st.cpu_ns / 1e9, st.reason ? st.reason : "");
	}
	(*n)++;
	guest_status_free(&st);
}

static int guest_status_cmd(int argc, char **argv)
{
	int json = argc > 1 && !strcmp(argv[argc - 1], "--json");
	if (json)
		argc--;
	if (argc < 2 || argc > 3) {
		log_err("usage: testbed guest status TESTBED [HOST] [--json]");
		return 2;
	}
	char *state = guest_state_dir(argv[1]), *hosts = xasprintf("%s/hosts", state);
	struct json j;
	int n = 0;
	if (json) {
		json_init(&j, stdout, 0);
		json_arr_begin(&j);
	} else {
		printf("%-16s %-6s %-8s %-5s %8s %10s %10s %s\n", "HOST", "KIND", "STATE", "ACCEL",
		       "BOOT", "MEM(PSS)", "CPU", "REASON");
	}
	if (argc == 3) {
		char *hd = guest_host_dir(state, argv[2]);
		status_one(json ? &j : NULL, hd, &n);
		free(hd);
	} else {
		DIR *d = opendir(hosts);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char *hd = guest_host_dir(state, e->d_name);
			status_one(json ? &j : NULL, hd, &n);
			free(hd);
		}
		if (d)
			closedir(d);
	}
	if (json) {
		json_arr_end(&j);
		json_finish(&j);
	}
	free(hosts);
	free(state);
	if (n == 0 && argc == 3) {
		log_err("no host %s in testbed %s", argv[2], argv[1]);
		return 1;
	}
	return 0;
}

int cmd_guest(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "start"))
		return guest_start_cmd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "stop"))
		return guest_stop_cmd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "status"))
		return guest_status_cmd(argc - 1, argv + 1);
	log_err("usage: testbed guest start|stop|status ... (plumbing; see docs/guests.md)");
	return 2;
}
