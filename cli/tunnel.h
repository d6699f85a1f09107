/* SPDX-License-Identifier: MIT */
/*
 * tunnel: "sasl-oauth tunnel URL", a pre-authenticated IMAP or POP3
 * session on stdin/stdout for fetchmail's plugin, mbsync's Tunnel and
 * mutt's tunnel (docs/clients/fetchmail.md).
 */
#ifndef SAO_CLI_TUNNEL_H
#define SAO_CLI_TUNNEL_H

#include "sasl-oauth/settings.h"

extern const char sao_tunnel_usage[];
extern const char sao_tunnel_help[];

/* Runs the command (argv[0] is "tunnel"); returns the exit status. */
int sao_tunnel_run(sao_settings_t *s, int argc, char **argv);

#endif
