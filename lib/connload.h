/* connload.h: how busy a one-process-per-connection server is, seen from
 * one of its processes. The kernel knows every connection to the server's
 * address and port: those a sibling process serves, and those still
 * waiting in the listen queue because the launcher is at its limit
 * (tcpserver -c, systemd MaxConnections=). They are counted from
 * /proc/net/tcp and /proc/net/tcp6, which stay readable in the sandbox
 * (no socket is made). */
#ifndef MEDUSA_CONNLOAD_H
#define MEDUSA_CONNLOAD_H

struct connload {
	int ok;                 /* the connection is a TCP socket we could name */
	int v6;                 /* look in /proc/net/tcp6 instead of tcp */
	char local[48];         /* "ADDR:PORT" as /proc/net/tcp spells it (hex) */
	char remote[36];        /* the peer's "ADDR" (hex), without the port */
};

struct connload_counts {
	int total;              /* established connections to our address and port */
	int waiting;            /* of those, not yet accepted by any process */
	int same_source;        /* of those, from the peer's address (ours included) */
};

/* Names the connection on fd. 0, or -1 when fd is not a TCP socket (a
 * pipe, a Unix socket, CGI): l->ok stays 0 and nothing is counted. */
int connload_init(struct connload *l, int fd);

/* Counts now. 0, or -1 when /proc cannot be read (counts are zero). */
int connload_count(const struct connload *l, struct connload_counts *out);

#endif
