/* Counting the connections of a server: sock_diag, else /proc/net/tcp{,6}. */
#include "connload.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TCP_ESTABLISHED_STATE 1
#define TCP_LISTEN_STATE 10

/* An address as /proc/net/tcp prints it: each 32-bit word of the network
 * order bytes as a host order number, %08X. */
static void hex_addr(const unsigned char *a, int v6, char *out, size_t n)
{
	unsigned w[4];
	memcpy(w, a, v6 ? 16 : 4);
	if (v6)
		snprintf(out, n, "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
	else
		snprintf(out, n, "%08X", w[0]);
}

/* The address bytes and port of a socket address. */
static unsigned addr_of(const struct sockaddr_storage *ss, unsigned char out[16])
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		memcpy(out, &a->sin_addr, 4);
		return ntohs(a->sin_port);
	}
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
	memcpy(out, &a->sin6_addr, 16);
	return ntohs(a->sin6_port);
}

int connload_init(struct connload *l, int fd)
{
	memset(l, 0, sizeof *l);
	l->nl = -1;
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof me, pl = sizeof peer;
	if (getsockname(fd, (struct sockaddr *)&me, &ml) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl) < 0 ||
	    (me.ss_family != AF_INET && me.ss_family != AF_INET6) || peer.ss_family != me.ss_family)
		return -1;
	l->v6 = me.ss_family == AF_INET6;
	l->port = addr_of(&me, l->laddr);
	(void)addr_of(&peer, l->raddr);
	char a[36];
	hex_addr(l->laddr, l->v6, a, sizeof a);
	snprintf(l->local, sizeof l->local, "%s:%04X", a, l->port);
	hex_addr(l->raddr, l->v6, l->remote, sizeof l->remote);
	l->nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	l->ok = 1;
	return 0;
}

void connload_free(struct connload *l)
{
	if (l->nl >= 0)
		close(l->nl);
	l->nl = -1;
	l->ok = 0;
}

/* The TCP sockets in state of our family whose local port is ours (a
 * bytecode filter: port >= P and port <= P), dumped by the kernel. */
static int ask_kernel(const struct connload *l, int state)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
		struct nlattr bc;
		struct inet_diag_bc_op op[4];
	} q;
	memset(&q, 0, sizeof q);
	q.nh.nlmsg_len = sizeof q;
	q.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	q.nh.nlmsg_seq = 1;
	q.r.sdiag_family = l->v6 ? AF_INET6 : AF_INET;
	q.r.sdiag_protocol = IPPROTO_TCP;
	q.r.idiag_states = 1u << state;
	q.bc.nla_len = sizeof q.bc + sizeof q.op;
	q.bc.nla_type = INET_DIAG_REQ_BYTECODE;
	/* a false test jumps 4 bytes past the end: the socket is left out */
	q.op[0] = (struct inet_diag_bc_op){INET_DIAG_BC_S_GE, 8, 20};
	q.op[1].no = (unsigned short)l->port;
	q.op[2] = (struct inet_diag_bc_op){INET_DIAG_BC_S_LE, 8, 12};
	q.op[3].no = (unsigned short)l->port;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	return sendto(l->nl, &q, sizeof q, 0, (struct sockaddr *)&kernel, sizeof kernel) ==
	    (ssize_t)sizeof q ? 0 : -1;
}

static int is_any(const unsigned char *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			return 0;
	return 1;
}

static int count_netlink(const struct connload *l, enum connload_what what, struct connload_counts *out)
{
	int listen = what == CONNLOAD_QUEUE;
	if (ask_kernel(l, listen ? TCP_LISTEN_STATE : TCP_ESTABLISHED_STATE) < 0)
		return -1;
	size_t alen = l->v6 ? 16 : 4;
	long buf[8192 / sizeof(long)];
	for (;;) {
		ssize_t n = recv(l->nl, buf, sizeof buf, 0);
		if (n <= 0)
			return -1;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			if (listen) {
				/* our listener, bound to our address or to any: its
				 * accept queue is the clients that wait */
				if (memcmp(m->id.idiag_src, l->laddr, alen) == 0 ||
				    is_any((const unsigned char *)m->id.idiag_src, alen))
					out->waiting += (int)m->idiag_rqueue;
				continue;
			}
			if (memcmp(m->id.idiag_src, l->laddr, alen) != 0)
				continue;
			int same = memcmp(m->id.idiag_dst, l->raddr, alen) == 0;
			out->total++;
			out->same_source += same;
			/* a socket no process has accepted yet has no inode */
			if (m->idiag_inode == 0) {
				out->waiting++;
				out->waiting_others += !same;
			}
		}
	}
}

/* The n-th field (0-based) of a line split by spaces, with its length. */
static const char *field(const char *line, int n, size_t *len)
{
	const char *p = line;
	for (int i = 0;; i++) {
		p += strspn(p, " ");
		if (!*p || *p == '\n')
			return NULL;
		size_t k = strcspn(p, " \n");
		if (i == n) {
			*len = k;
			return p;
		}
		p += k;
	}
}

static int count_proc(const struct connload *l, enum connload_what what, struct connload_counts *out)
{
	(void)what;     /* the file holds it all: counted the same either way */
	/* under self/: /proc/net is gone where only the processes are
	 * mounted (systemd's ProcSubset=pid) */
	FILE *f = fopen(l->v6 ? "/proc/self/net/tcp6" : "/proc/self/net/tcp", "re");
	if (!f)
		return -1;
	char line[512];
	size_t ln = strlen(l->local), rn = strlen(l->remote), k;
	/* "  sl  local_address rem_address   st ... inode": state 01 is
	 * ESTABLISHED; a socket no process has accepted yet has inode 0 */
	while (fgets(line, sizeof line, f)) {
		const char *loc = field(line, 1, &k);
		if (!loc || k != ln || memcmp(loc, l->local, ln) != 0)
			continue;
		const char *st = field(line, 3, &k);
		if (!st || k != 2 || memcmp(st, "01", 2) != 0)
			continue;
		const char *rem = field(line, 2, &k);
		int same = rem && k > rn && rem[rn] == ':' && memcmp(rem, l->remote, rn) == 0;
		out->total++;
		out->same_source += same;
		const char *ino = field(line, 9, &k);
		if (ino && k == 1 && *ino == '0') {
			out->waiting++;
			out->waiting_others += !same;
		}
	}
	fclose(f);
	return 0;
}

int connload_count(const struct connload *l, enum connload_what what, struct connload_counts *out)
{
	memset(out, 0, sizeof *out);
	if (!l->ok)
		return -1;
	if (l->nl >= 0 && count_netlink(l, what, out) == 0)
		return 0;
	if (l->nl >= 0) {
		/* what is left of a failed answer must not mix into the next */
		char junk[4096];
		while (recv(l->nl, junk, sizeof junk, MSG_DONTWAIT) > 0)
			;
	}
	memset(out, 0, sizeof *out);
	return count_proc(l, what, out);
}
