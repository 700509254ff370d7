/* zdemo: compresses its input (or a built-in text) with zlib and with zstd, checks that both
 * round-trip, and prints the sizes. Dynamically linked against Debian's libz and libzstd, and
 * packed with them and glibc's loader, it runs on hosts that have none of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

static const char builtin[] =
	"flavor packs programs from distro roots; this text is compressed twice to show it. "
	"flavor packs programs from distro roots; this text is compressed twice to show it.\n";

static char *slurp(size_t *n) {
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t r;
	while (buf && (r = read(0, buf + len, cap - len)) > 0) {
		len += (size_t)r;
		if (len == cap && !(buf = realloc(buf, cap *= 2)))
			break;
	}
	*n = len;
	return buf;
}

int main(int argc, char **argv) {
	size_t n = sizeof builtin - 1;
	const char *in = builtin;
	if (argc > 1 && strcmp(argv[1], "-") == 0) {
		char *s = slurp(&n);
		if (!s) { fprintf(stderr, "zdemo: out of memory\n"); return 1; }
		in = s;
	}
	uLongf zlen = compressBound(n);
	unsigned char *z = malloc(zlen);
	if (!z || compress2(z, &zlen, (const Bytef *)in, n, 9) != Z_OK) { fprintf(stderr, "zdemo: zlib failed\n"); return 1; }
	uLongf back = n;
	unsigned char *out = malloc(n + 1);
	if (!out || uncompress(out, &back, z, zlen) != Z_OK || back != n || memcmp(out, in, n) != 0) { fprintf(stderr, "zdemo: zlib round trip failed\n"); return 1; }

	size_t cap = ZSTD_compressBound(n);
	void *s = malloc(cap);
	size_t slen = ZSTD_compress(s, cap, in, n, 19);
	if (ZSTD_isError(slen)) { fprintf(stderr, "zdemo: zstd: %s\n", ZSTD_getErrorName(slen)); return 1; }
	size_t sback = ZSTD_decompress(out, n + 1, s, slen);
	if (ZSTD_isError(sback) || sback != n || memcmp(out, in, n) != 0) { fprintf(stderr, "zdemo: zstd round trip failed\n"); return 1; }

	printf("input %zu bytes\n", n);
	printf("zlib %s: %lu bytes\n", zlibVersion(), (unsigned long)zlen);
	printf("zstd %s: %zu bytes\n", ZSTD_versionString(), slen);
	printf("both round-trip\n");
	return 0;
}
