/* store_key.h: which keys a store accepts (store_key.c). */
#ifndef MEDUSA_STORE_KEY_H
#define MEDUSA_STORE_KEY_H

/* True for a key that is safe: relative, no "..", no empty or "." parts, no
 * NUL or control characters. */
int store_key_valid(const char *key);
/* The same but for control characters and backslashes, which a listing
 * may show in a key another tool made: such a key can still be removed. */
int store_key_removable(const char *key);

#endif
