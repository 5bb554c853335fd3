/* cmd_check — `testbed check FILE`: placeholder until the parser lands. */
#include "commands.h"
#include "log.h"

int cmd_check(int argc, char **argv)
{
	log_err("check: not implemented yet");
	return 1;
}
