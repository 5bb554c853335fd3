/* testbed — the command-line entry point: one table of subcommands. */
#include "commands.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "check", cmd_check, "FILE [NAME=VALUE...] [--json] [--quiet]",
	  "parse and validate a topology, print its plan" },
	{ "up", cmd_up, "FILE [NAME=VALUE...] [-j JOBS] [--seed N]",
	  "bring a topology up in its own namespace, wait until every host is ready" },
	{ "down", cmd_down, "NAME|FILE | --all",
	  "remove everything a testbed made (also after a crash)" },
	{ "status", cmd_status, "[NAME|FILE] [--json]",
	  "hosts (state, boot time, memory, CPU), segments, wire counters" },
	{ "list", cmd_list, "", "the testbeds that are up" },
	{ "link", cmd_link, "NAME SEG_A SEG_B|HOST ethN ATTR=VALUE...",
	  "change a link's or an interface's impairments while it runs" },
	{ "capture", cmd_capture, "NAME SEGMENT [-w FILE] [-c COUNT] [FILTER]",
	  "capture a segment's frames (BPF filter) to a pcap file or the screen" },
	{ "run", cmd_run, "FILE [NAME=VALUE...] [--rounds N] [--results DIR]",
	  "up, run the topology's experiment to its end, keep the results, down" },
	{ "sweep", cmd_sweep, "FILE NAME=V1,V2,... [--repeat R] [--out DIR]",
	  "one run per value (and repeat): sweep.csv and a failure-rate plot" },
	{ "exec", cmd_exec, "TESTBED HOST -- CMD [ARGS...]",
	  "run a command on a host: its output and exit status" },
	{ "console", cmd_console, "TESTBED HOST",
	  "attach to a host's console (detach with Ctrl-])" },
	{ "guest", cmd_guest, "start|stop|status TESTBED ...",
	  "plumbing: one guest from a host description file" },
	{ "help", cmd_help, "", "print this list" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: testbed COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		char left[96];
		snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].usage);
		fprintf(out, "  %-40s %s\n", left, commands[i].help);
	}
}

static int cmd_help(int argc, char **argv)
{
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	log_init("testbed");
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cmd_help(argc - 1, argv + 1);
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	log_err("unknown command '%s'; 'testbed help' lists the commands.", argv[1]);
	return 2;
}
