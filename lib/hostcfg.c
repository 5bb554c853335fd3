/* hostcfg — see hostcfg.h. */
#include "hostcfg.h"
#include "units.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int hostcfg_valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 31 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int hostcfg_valid_dev(const char *s)
{
	uint64_t n;
	return strncmp(s, "eth", 3) == 0 && parse_u64(s + 3, 0, 9999, &n) == 0;
}

int hostcfg_cidr_family(const char *s)
{
	const char *slash = strchr(s, '/');
	unsigned char buf[16];
	uint64_t len;
	if (!slash || (size_t)(slash - s) >= 64)
		return 0;
	char host[64];
	memcpy(host, s, slash - s);
	host[slash - s] = 0;
	if (inet_pton(AF_INET, host, buf) == 1)
		return parse_u64(slash + 1, 0, 32, &len) == 0 ? AF_INET : 0;
	if (inet_pton(AF_INET6, host, buf) == 1)
		return parse_u64(slash + 1, 0, 128, &len) == 0 ? AF_INET6 : 0;
	return 0;
}

static int addr_family(const char *s)
{
	unsigned char buf[16];
	if (inet_pton(AF_INET, s, buf) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return AF_INET6;
	return 0;
}

void hostcfg_free_argv(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

int hostcfg_split_argv(const char *s, char ***argvp)
{
	VEC(char *) av = { 0 };
	size_t cap = strlen(s) + 1;
	char *word = xmalloc(cap);
	const char *p = s;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t n = 0;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'') {
				const char *q = strchr(p + 1, '\'');
				if (!q) {
					free(word);
					VEC_PUSH(av, NULL);
					hostcfg_free_argv(av.v);
					return -EINVAL;
				}
				memcpy(word + n, p + 1, q - p - 1);
				n += q - p - 1;
				p = q + 1;
			} else {
				word[n++] = *p++;
			}
		}
		VEC_PUSH(av, xstrndup(word, n));
	}
	free(word);
	if (av.n == 0) {
		free(av.v);
		return -EINVAL;
	}
	VEC_PUSH(av, NULL);
	*argvp = av.v;
	return 0;
}

static int fail(char **err, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char **err, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (err)
		*err = xasprintf("line %d: %s", line, msg ? msg : "error");
	free(msg);
	return -EINVAL;
}

/* Split off the next blank-separated word of *p (modifies the buffer). */
static char *next_word(char **p)
{
	char *s = *p, *w;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = 0;
	*p = s;
	return w;
}

static int parse_line(struct hostcfg *c, char *line, int ln, char **err)
{
	char *p = line, *key, *a, *b;

	key = next_word(&p);
	if (!key || key[0] == '#')
		return 0;
	if (!strcmp(key, "run")) {
		char **argv;
		while (*p == ' ' || *p == '\t')
			p++;
		if (hostcfg_split_argv(p, &argv) < 0)
			return fail(err, ln, "run needs a command (quotes must be closed)");
		hostcfg_free_argv(argv);
		VEC_PUSH(c->runs, xstrdup(p));
		return 0;
	}
	a = next_word(&p);
	b = next_word(&p);
	if (!a)
		return fail(err, ln, "'%s' needs a value", key);
	int two = !strcmp(key, "nic") || !strcmp(key, "addr") || !strcmp(key, "route");
	if (two ? !b : !!b)
		return fail(err, ln, "'%s' takes %s", key, two ? "two values" : "one value");
	if (next_word(&p))
		return fail(err, ln, "too many values for '%s'", key);

	if (!strcmp(key, "host")) {
		if (c->name)
			return fail(err, ln, "host given twice");
		if (!hostcfg_valid_name(a))
			return fail(err, ln, "bad host name '%s' (expected [a-z][a-z0-9_-]{0,30})", a);
		c->name = xstrdup(a);
	} else if (!strcmp(key, "kind")) {
		if (c->kind)
			return fail(err, ln, "kind given twice");
		if (strcmp(a, "uml") && strcmp(a, "qemu") && strcmp(a, "netns"))
			return fail(err, ln, "unknown kind '%s' (expected uml, qemu or netns)", a);
		c->kind = xstrdup(a);
	} else if (!strcmp(key, "mem")) {
		if (parse_size(a, &c->mem) < 0 || c->mem < (16u << 20))
			return fail(err, ln, "bad mem '%s' (expected a size of at least 16M)", a);
	} else if (!strcmp(key, "cpus")) {
		uint64_t n;
		if (parse_u64(a, 1, 64, &n) < 0)
			return fail(err, ln, "bad cpus '%s' (expected 1-64)", a);
		c->cpus = (unsigned)n;
	} else if (!strcmp(key, "data")) {
		if (c->data)
			return fail(err, ln, "data given twice");
		if (a[0] != '/')
			return fail(err, ln, "data needs an absolute path, not '%s'", a);
		c->data = xstrdup(a);
	} else if (!strcmp(key, "forward")) {
		if (strcmp(a, "yes") && strcmp(a, "no"))
			return fail(err, ln, "forward is yes or no, not '%s'", a);
		c->forward = !strcmp(a, "yes");
	} else if (!strcmp(key, "nic")) {
		if (!hostcfg_valid_dev(a))
			return fail(err, ln, "bad interface '%s' (expected ethN)", a);
		for (size_t i = 0; i < c->nics.n; i++)
			if (!strcmp(c->nics.v[i].dev, a))
				return fail(err, ln, "interface %s given twice", a);
		VEC_PUSH(c->nics, ((struct hostcfg_nic){ xstrdup(a), xstrdup(b) }));
	} else if (!strcmp(key, "addr")) {
		if (!hostcfg_valid_dev(a))
			return fail(err, ln, "bad interface '%s' (expected ethN)", a);
		if (!hostcfg_cidr_family(b))
			return fail(err, ln, "bad address '%s' (expected ADDR/LEN)", b);
		VEC_PUSH(c->addrs, ((struct hostcfg_addr){ xstrdup(a), xstrdup(b) }));
	} else if (!strcmp(key, "route")) {
		int fd = strcmp(a, "default") ? hostcfg_cidr_family(a) : -1;
		int fg = addr_family(b);
		if (!fd || !fg || (fd > 0 && fd != fg))
			return fail(err, ln, "bad route '%s via %s' (expected DEST/LEN or default, then a gateway of the same family)", a, b);
		VEC_PUSH(c->routes, ((struct hostcfg_route){ xstrdup(a), xstrdup(b) }));
	} else {
		return fail(err, ln, "unknown key '%s'", key);
	}
	return 0;
}

int hostcfg_parse(const char *text, struct hostcfg *c, char **err)
{
	char *copy = xstrdup(text), *line = copy, *nl;
	int ln = 0, rc = 0;

	memset(c, 0, sizeof(*c));
	if (err)
		*err = NULL;
	while (line && *line) {
		ln++;
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (strlen(line) && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = 0;
		rc = parse_line(c, line, ln, err);
		if (rc < 0)
			break;
		line = nl ? nl + 1 : NULL;
	}
	if (!rc && !c->name)
		rc = fail(err, ln, "no 'host NAME' line");
	for (size_t i = 0; !rc && i < c->addrs.n; i++) {
		size_t j;
		for (j = 0; j < c->nics.n; j++)
			if (!strcmp(c->nics.v[j].dev, c->addrs.v[i].dev))
				break;
		if (j == c->nics.n)
			rc = fail(err, ln, "address on %s, which has no 'nic' line", c->addrs.v[i].dev);
	}
	free(copy);
	if (rc)
		hostcfg_free(c);
	return rc;
}

int hostcfg_load(const char *path, struct hostcfg *c, char **err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!f)
		return -errno;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	rc = hostcfg_parse(buf, c, err);
	free(buf);
	return rc;
}

int hostcfg_write(FILE *out, const struct hostcfg *c)
{
	char b[UNITS_BUFSZ];
	fprintf(out, "host %s\n", c->name);
	if (c->kind)
		fprintf(out, "kind %s\n", c->kind);
	if (c->mem)
		fprintf(out, "mem %s\n", fmt_size(b, c->mem));
	if (c->cpus)
		fprintf(out, "cpus %u\n", c->cpus);
	if (c->forward)
		fprintf(out, "forward yes\n");
	for (size_t i = 0; i < c->nics.n; i++)
		fprintf(out, "nic %s %s\n", c->nics.v[i].dev, c->nics.v[i].sw);
	for (size_t i = 0; i < c->addrs.n; i++)
		fprintf(out, "addr %s %s\n", c->addrs.v[i].dev, c->addrs.v[i].cidr);
	for (size_t i = 0; i < c->routes.n; i++)
		fprintf(out, "route %s %s\n", c->routes.v[i].dest, c->routes.v[i].gw);
	if (c->data)
		fprintf(out, "data %s\n", c->data);
	for (size_t i = 0; i < c->runs.n; i++)
		fprintf(out, "run %s\n", c->runs.v[i]);
	return ferror(out) ? -EIO : 0;
}

void hostcfg_free(struct hostcfg *c)
{
	free(c->name);
	free(c->data);
	free(c->kind);
	for (size_t i = 0; i < c->nics.n; i++) {
		free(c->nics.v[i].dev);
		free(c->nics.v[i].sw);
	}
	for (size_t i = 0; i < c->addrs.n; i++) {
		free(c->addrs.v[i].dev);
		free(c->addrs.v[i].cidr);
	}
	for (size_t i = 0; i < c->routes.n; i++) {
		free(c->routes.v[i].dest);
		free(c->routes.v[i].gw);
	}
	for (size_t i = 0; i < c->runs.n; i++)
		free(c->runs.v[i]);
	VEC_FREE(c->nics);
	VEC_FREE(c->addrs);
	VEC_FREE(c->routes);
	VEC_FREE(c->runs);
	memset(c, 0, sizeof(*c));
}
