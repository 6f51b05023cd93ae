/*
 * turnout's subcommands. main.c dispatches on the first argument; each
 * subcommand lives in its own file and parses the rest of argv itself.
 * A subcommand returns the process exit status: 0 ok, 1 failure, 2 usage.
 */
#ifndef TURNOUT_COMMANDS_H
#define TURNOUT_COMMANDS_H

#define TURNOUT_VERSION "0.1.0"

/* `turnout run --config FILE` (also `turnout --config FILE`): the proxy. */
int cmd_run(int argc, char **argv);
/* `turnout check --config FILE`: what the routes would do, changing nothing. */
int cmd_check(int argc, char **argv);
/* `turnout healthcheck [--url URL]`: probe for images without a shell. */
int cmd_healthcheck(int argc, char **argv);
/* `turnout inject -f FILE`: the webhook's mutation, offline. */
int cmd_inject(int argc, char **argv);
/* `turnout inject-webhook ...`: the HTTPS mutating admission webhook. */
int cmd_inject_webhook(int argc, char **argv);

/* `turnout status [--admin ADDR] [--json] [--watch [S]]`: a running turnout's state. */
int cmd_status(int argc, char **argv);
/* `turnout reload [--admin ADDR]`: reload a running turnout's configuration now. */
int cmd_reload(int argc, char **argv);

/* `turnout offsets --config FILE --group G`: MM2 offset translation preview. */
int cmd_offsets(int argc, char **argv);

#endif
