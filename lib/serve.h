/* serve.h: the endpoints of medusa-serve(8), in backyard and frontyard
 * mode, on top of http.h. */
#ifndef MEDUSA_SERVE_H
#define MEDUSA_SERVE_H

#include "config.h"
#include "http.h"
#include "sign.h"

enum serve_mode { SERVE_BACKYARD, SERVE_FRONTYARD };

struct serve {
	enum serve_mode mode;
	struct config *cfg;     /* the backyard config; NULL for a frontyard without one */
	char *webdir;           /* static pages at "/", or NULL */
	char *token;            /* backyard: required Bearer token; NULL: loopback only */
	char **hosts;           /* backyard without a token: names Host may have (-H) */
	size_t nhosts;
	int api_max_age;        /* Cache-Control max-age of /api/ answers */
	/* frontyard */
	char *metastore;        /* the SQLite metastore (a remote one: its local copy) */
	char *remote;           /* a remote metastore's URL (rmeta.h), or NULL */
	char *files_root;       /* directory storage served under /files/, or NULL */
	char *cachedir;         /* where the listing cache lives */
	int refresh;            /* a replica: seconds between looks at the remote generation */
	int have_pk;
	unsigned char pk[SIGN_PK_BYTES];
	char *base_url;         /* replaces the published base of file URLs, or NULL */
	struct rule *where;     /* the publication rule (-W, frontyard.where), or NULL */
	struct fcache *cache;   /* the listing index, made on first use */
	struct fcache_fetch *fetch;     /* a replica's fetch helper (serve_frontyard_setup) */
};

/* The answer of a handler: done (0), the connection must end (-1), or the
 * path is not this handler's (SERVE_NEXT). */
#define SERVE_NEXT 1

int serve_backyard(struct serve *s, struct http_conn *c);
int serve_frontyard(struct serve *s, struct http_conn *c);
/* What a frontyard must do before medusa-serve restricts itself (no exec,
 * no new sockets afterwards): a replica starts its fetch helper
 * (fcache_fetch.h). 0, or -1 after a message. */
int serve_frontyard_setup(struct serve *s);
void serve_frontyard_free(struct serve *s);

/* Static file under root at the decoded relative path rel ("" or a
 * directory: index.html). Never leaves root. type: the Content-Type, or
 * NULL for the one of the file's extension. */
int serve_file_under(struct http_conn *c, const char *root, const char *rel, const char *type,
    const char *cache, int (*allow)(const char *clean, void *arg), void *arg);

/* 405 with Allow. */
int serve_405(struct http_conn *c, const char *allow);

/* GET /api/tags from a config: {"tags":[TAGDEF...]} in config order. */
json_object *serve_tags_json(const struct config *cfg);

#endif
