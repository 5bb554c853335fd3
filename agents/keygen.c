/* agents-keygen — the per-run keys and registry of the appliance
 * experiment: for N devices and M ISP servers, a fresh shared key and own
 * key per device from OpenSSL's RAND_bytes, written as registry.csv,
 * isp-K.keys and appliances-K.keys (keys.h) in a directory, mode 0600.
 * Devices are numbered from --first-id on and given to the ISP servers in
 * contiguous blocks, so that hosts can take slices with --first/--count. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "agents/keys.h"
#include "log.h"
#include "units.h"
#include "xalloc.h"

static FILE *create(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("cannot create %s: %s", p, strerror(errno));
	FILE *f = fdopen(fd, "w");
	if (!f)
		die("cannot open %s: %s", p, strerror(errno));
	free(p);
	return f;
}

static void close_checked(FILE *f, const char *what)
{
	if (ferror(f) | fclose(f))
		die("cannot write %s: %s", what, strerror(errno));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "devices", 1, 0, 'n' }, { "isps", 1, 0, 'm' }, { "out", 1, 0, 'o' },
		{ "first-id", 1, 0, 'f' }, { "hosts", 1, 0, 'H' }, { "per-host", 1, 0, 'P' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	uint64_t n = 0, m = 1, first = 1, hosts = 0, per_host = 0;
	const char *out = NULL;
	int c;
	log_init("agents-keygen");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': if (parse_u64(optarg, 1, 100000000, &n)) die("--devices: expected 1-100000000, got '%s'", optarg); break;
		case 'm': if (parse_u64(optarg, 1, 100000, &m)) die("--isps: expected 1-100000, got '%s'", optarg); break;
		case 'f': if (parse_u64(optarg, 0, UINT32_MAX, &first)) die("--first-id: expected a number, got '%s'", optarg); break;
		case 'H': if (parse_u64(optarg, 1, 100000000, &hosts)) die("--hosts: expected 1-100000000, got '%s'", optarg); break;
		case 'P': if (parse_u64(optarg, 1, 100000000, &per_host)) die("--per-host: expected 1-100000000, got '%s'", optarg); break;
		case 'o': out = optarg; break;
		case 'h':
			printf("usage: agents-keygen --devices N [--isps M] [--first-id ID] --out DIR\n"
			       "       agents-keygen --isps M --hosts H --per-host P [--first-id ID] --out DIR\n"
			       "  (M ISP servers, each with H appliance hosts of P appliances: N = M*H*P)\n");
			return 0;
		default: return 2;
		}
	}
	if ((hosts != 0) != (per_host != 0) || (hosts && n))
		die("give either --devices N or both --hosts H and --per-host P");
	if (hosts) {
		if (hosts * per_host > 100000000 / m)
			die("--isps x --hosts x --per-host is more than 100000000 devices");
		n = m * hosts * per_host;
	}
	if (optind != argc || !n || !out) {
		fprintf(stderr, "usage: agents-keygen --devices N [--isps M] [--first-id ID] --out DIR\n");
		return 2;
	}
	if (first + n - 1 > UINT32_MAX)
		die("--first-id %llu + --devices %llu exceeds the 32-bit device ids", (unsigned long long)first,
		    (unsigned long long)n);
	if (m > n)
		die("--isps %llu is more than --devices %llu", (unsigned long long)m, (unsigned long long)n);
	if (mkdir(out, 0700) && errno != EEXIST)
		die("cannot create %s: %s", out, strerror(errno));
	FILE *reg = create(out, "registry.csv");
	fprintf(reg, "device,isp\n");
	for (uint64_t k = 0; k < m; k++) {
		uint64_t lo = n * k / m, hi = n * (k + 1) / m;
		char name[64];
		snprintf(name, sizeof(name), "isp-%llu.keys", (unsigned long long)k);
		FILE *fi = create(out, name);
		snprintf(name, sizeof(name), "appliances-%llu.keys", (unsigned long long)k);
		FILE *fa = create(out, name);
		fprintf(fi, "# keys of ISP %llu: device shared-key own-key (hex)\n", (unsigned long long)k);
		fprintf(fa, "# keys of the appliances of ISP %llu: device shared-key own-key (hex)\n",
			(unsigned long long)k);
		for (uint64_t i = lo; i < hi; i++) {
			struct key_entry e = { .id = (uint32_t)(first + i) };
			if (RAND_bytes(e.k.ks, KEY_LEN) != 1 || RAND_bytes(e.k.ko, KEY_LEN) != 1)
				die("RAND_bytes failed: no key generated");
			keys_write_entry(fi, &e);
			keys_write_entry(fa, &e);
			fprintf(reg, "%u,%llu\n", e.id, (unsigned long long)k);
			memset(&e, 0, sizeof(e));
		}
		close_checked(fi, "isp keys");
		close_checked(fa, "appliance keys");
	}
	close_checked(reg, "registry.csv");
	printf("devices=%llu isps=%llu first_id=%llu out=%s\n", (unsigned long long)n, (unsigned long long)m,
	       (unsigned long long)first, out);
	return 0;
}
