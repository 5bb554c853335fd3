/* commands — the testbed CLI's subcommands.  Each lives in its own
 * cmd_NAME.c; main.c dispatches through one table built from this list,
 * and `testbed help` prints the same table. */
#ifndef TB_COMMANDS_H
#define TB_COMMANDS_H

/* A handler gets argv after the subcommand name (argv[0] is the subcommand)
 * and returns the process exit status. */
typedef int (*command_fn)(int argc, char **argv);

struct command {
	const char *name;
	command_fn run;
	const char *usage;   /* arguments, e.g. "FILE [NAME=VALUE...] [--json]" */
	const char *help;    /* one line */
};

int cmd_check(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_guest(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_sweep(int argc, char **argv);

#endif
