/* Bounded copies; see str.h. */
#include "policy/str.h"

#include <string.h>

size_t str_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src), k = n < cap ? n : cap - 1;

	if (!cap)
		return n; /* no room even for the end, as snprintf */
	memcpy(dst, src, k);
	dst[k] = '\0';
	return n;
}

void str_append(char *dst, size_t cap, size_t *at, const char *src)
{
	size_t n;

	if (*at >= cap)
		return;
	n = str_copy(dst + *at, cap - *at, src);

	*at += n < cap - *at ? n : cap - *at - 1;
}

void str_append_uint(char *dst, size_t cap, size_t *at, unsigned long v)
{
	char num[24], *p = num + sizeof(num);

	*--p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	str_append(dst, cap, at, p);
}
