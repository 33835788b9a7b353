/* dirs.h: where an installed tool finds its shared files and where it
 * keeps a cache, whatever PREFIX or DESTDIR it was installed with. */
#ifndef MEDUSA_DIRS_H
#define MEDUSA_DIRS_H

/* The directory SUB of medusa's shared files (sub "web/frontyard"), or
 * NULL when there is none. Looked for relative to the running binary, so
 * that a tree installed anywhere finds its own files: BIN/../share/medusa/SUB
 * (installed), BIN/../SUB (the build directory of the source tree), then
 * compiled_in/SUB. A new string, the real path. */
char *dirs_share(const char *sub, const char *compiled_in);

/* The cache directory to use when none was given: $CACHE_DIRECTORY (set by
 * systemd's CacheDirectory=, its first entry), else fallback when not
 * NULL, else $XDG_CACHE_HOME/medusa, else $HOME/.cache/medusa. NULL when
 * none can be named (no HOME). Relative environment values are ignored,
 * as the XDG base directory rules say. A new string; the directory may not
 * exist yet. */
char *dirs_cache(const char *fallback);

#endif
