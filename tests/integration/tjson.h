/*
 * A strict JSON parser (RFC 8259) for the tests: what corral writes as
 * JSON (`corralctl status --json`, the status file) must parse here whole,
 * with nothing before or after the value but blanks, no duplicate key in an
 * object, and no raw control character in a string.
 *
 * Values are freed with tj_free(); getters return NULL (or the fallback)
 * when the value is missing or of another type.
 */
#ifndef CORRAL_TEST_TJSON_H
#define CORRAL_TEST_TJSON_H

#include <stdbool.h>
#include <stddef.h>

enum tj_type { TJ_NULL, TJ_BOOL, TJ_NUMBER, TJ_STRING, TJ_ARRAY, TJ_OBJECT };

struct tj {
	enum tj_type	 type;
	bool		 boolean;
	double		 number;
	char		*string;	/* TJ_STRING, NUL-terminated */
	size_t		 len;		/* its bytes: NULs only from tj_parse_nul() */
	size_t		 n;		/* items of an array or object */
	struct tj	**items;
	char		**keys;		/* TJ_OBJECT */
};

/* The value, or NULL with a reason (and where) in err. */
struct tj	*tj_parse(const char *text, char *err, size_t errlen);
/*
 * The same, but a string value may hold \u0000 (JSON allows it): read it
 * with its len, not as a C string.  Keys stay NUL-free.
 */
struct tj	*tj_parse_nul(const char *text, char *err, size_t errlen);
void		 tj_free(struct tj *v);

const struct tj	*tj_get(const struct tj *obj, const char *key);
const char	*tj_str(const struct tj *v);	/* NULL unless a string */
bool		 tj_is(const struct tj *v, enum tj_type type);

#endif
