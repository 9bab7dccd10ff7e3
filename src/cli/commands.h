/* The subcommands of the `cloudrec` binary: each parses its own flags and calls a module. */
#pragma once

int cr_cmd_publish (int argc, char **argv);
int cr_cmd_record (int argc, char **argv);
int cr_cmd_serve (int argc, char **argv);
int cr_cmd_usersig (int argc, char **argv);
int cr_cmd_version (int argc, char **argv);
int cr_cmd_plugins (int argc, char **argv);
int cr_cmd_avsync (int argc, char **argv);
int cr_cmd_events (int argc, char **argv);
int cr_cmd_compose (int argc, char **argv);
int cr_cmd_merge (int argc, char **argv);
int cr_cmd_board_render (int argc, char **argv);
