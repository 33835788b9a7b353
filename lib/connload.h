/* connload.h: how busy a one-process-per-connection server is, seen from
 * one of its processes. The kernel knows the connections to the server's
 * port: those waiting in the listen queue because the launcher is at its
 * limit (tcpserver -c), and those sibling processes serve. They are asked
 * of the kernel with sock_diag netlink queries, as ss(8) asks, through a
 * socket opened at connload_init (before the sandbox forbids new ones):
 * the listen queue cheaply (the kernel looks at listening sockets only),
 * the open connections at a cost (it walks its whole table of connected
 * sockets, a few milliseconds on a large machine). Where netlink is
 * refused (systemd's RestrictAddressFamilies= without AF_NETLINK),
 * /proc/self/net/tcp{,6} gives the same at a higher cost. */
#ifndef MEDUSA_CONNLOAD_H
#define MEDUSA_CONNLOAD_H

struct connload {
	int ok;                 /* the connection is a TCP socket we could name */
	int v6;                 /* look in /proc/net/tcp6 instead of tcp */
	int nl;                 /* the sock_diag socket, or -1 */
	unsigned port;          /* our local port */
	unsigned char laddr[16], raddr[16];     /* ours and the peer's (network order) */
	char local[48];         /* "ADDR:PORT" as /proc/net/tcp spells it (hex) */
	char remote[36];        /* the peer's "ADDR" (hex), without the port */
};

struct connload_counts {
	int total;              /* established connections to our address and port */
	int waiting;            /* of those, not yet accepted by any process */
	int waiting_others;     /* of those, from another address than the peer's */
	int same_source;        /* of all, from the peer's address (ours included) */
};

/* Names the connection on fd. 0, or -1 when fd is not a TCP socket (a
 * pipe, a Unix socket, CGI): l->ok stays 0 and nothing is counted. */
int connload_init(struct connload *l, int fd);
void connload_free(struct connload *l);

enum connload_what {
	CONNLOAD_QUEUE,         /* waiting only (the listen queue) */
	CONNLOAD_ALL,           /* everything */
};

/* Counts now. 0, or -1 when the kernel cannot tell (counts are zero). */
int connload_count(const struct connload *l, enum connload_what what, struct connload_counts *out);

#endif
