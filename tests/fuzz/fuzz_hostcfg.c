/* Fuzz target: the host description parser (lib/hostcfg) and the control
 * line frame reader (lib/frame), fed the same bytes.  A parsed description
 * must round-trip through hostcfg_write; a frame must lie within the input. */
#include "frame.h"
#include "hostcfg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *err = NULL, *out = NULL;
	size_t outlen = 0;
	struct hostcfg c, d;

	memcpy(text, data, size);
	text[size] = 0;
	if (hostcfg_parse(text, &c, &err) == 0) {
		FILE *f = open_memstream(&out, &outlen);
		if (hostcfg_write(f, &c) != 0)
			abort();
		fclose(f);
		if (hostcfg_parse(out, &d, NULL) != 0 || strcmp(c.name, d.name) ||
		    c.nics.n != d.nics.n || c.addrs.n != d.addrs.n || c.runs.n != d.runs.n)
			abort();
		for (size_t i = 0; i < c.runs.n; i++) {
			char **argv;
			if (hostcfg_split_argv(c.runs.v[i], &argv) != 0)
				abort();
			hostcfg_free_argv(argv);
		}
		hostcfg_free(&d);
		hostcfg_free(&c);
		free(out);
	}
	free(err);
	free(text);

	/* the frame reader, fed in two pieces */
	struct frame_reader r = { 0 };
	struct frame fr;
	size_t half = size / 2;
	frame_feed(&r, data, half);
	while (frame_next(&r, &fr) == 1)
		if (fr.len > size)
			abort();
	frame_feed(&r, data + half, size - half);
	while (frame_next(&r, &fr) == 1)
		if (fr.len > size)
			abort();
	frame_reader_free(&r);
	return 0;
}
