/* impair — see impair.h. */
#include "impair.h"
#include "units.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const impair_dist_names[] = { "uniform", "normal", "pareto", "paretonormal" };

void impair_dir_init(struct impair_dir *d)
{
	memset(d, 0, sizeof(*d));
	d->dist = DIST_UNIFORM;
	d->ge_k = 1.0;
	d->up = true;
}

void impair_init(struct impair *im)
{
	impair_dir_init(&im->dir[0]);
	impair_dir_init(&im->dir[1]);
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true")) { *out = true; return 0; }
	if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false")) { *out = false; return 0; }
	return -EINVAL;
}

#define EXPECT_GILBERT "gilbert:p=P,r=R[,h=H,k=K] with fractions such as 1% (p and r above 0)"

/* "gilbert:p=1%,r=30%,h=0,k=100%" */
static int parse_gilbert(struct impair_dir *d, const char *v)
{
	char buf[256];
	double p = -1, r = -1, h = 0.0, k = 1.0;
	char *save = NULL;

	if (strncmp(v, "gilbert:", 8) != 0 || strlen(v + 8) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v + 8);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		double *dst;
		int rc;
		if (!eq || eq[1] == '\0')
			return -EINVAL;
		*eq = '\0';
		if (!strcmp(tok, "p")) dst = &p;
		else if (!strcmp(tok, "r")) dst = &r;
		else if (!strcmp(tok, "h")) dst = &h;
		else if (!strcmp(tok, "k")) dst = &k;
		else return -EINVAL;
		rc = parse_fraction(eq + 1, dst);
		if (rc)
			return rc;
	}
	if (p < 0 || r < 0)
		return -EINVAL;
	if (p <= 0 || r <= 0)
		return -ERANGE;
	d->loss_model = LOSS_GILBERT;
	d->ge_p = p; d->ge_r = r; d->ge_h = h; d->ge_k = k;
	d->loss = 0;
	return 0;
}

int impair_dir_set(struct impair_dir *d, const char *key, const char *value, const char **expect)
{
	int rc;
	uint64_t u;
	const char *dummy;

	if (!expect)
		expect = &dummy;
	if (!strcmp(key, "delay")) {
		*expect = UNITS_EXPECT_DURATION;
		if ((rc = parse_duration(value, &d->delay_ns)))
			return rc;
		d->set |= IMP_DELAY;
	} else if (!strcmp(key, "jitter")) {
		*expect = UNITS_EXPECT_DURATION;
		if ((rc = parse_duration(value, &d->jitter_ns)))
			return rc;
		d->set |= IMP_JITTER;
	} else if (!strcmp(key, "dist")) {
		*expect = "one of uniform, normal, pareto, paretonormal";
		for (int i = 0; i <= DIST_PARETONORMAL; i++)
			if (!strcmp(value, impair_dist_names[i])) {
				d->dist = (enum impair_dist)i;
				d->set |= IMP_DIST;
				return 0;
			}
		return -EINVAL;
	} else if (!strcmp(key, "jitter_reorder")) {
		*expect = "yes or no";
		if ((rc = parse_bool(value, &d->jitter_reorder)))
			return rc;
		d->set |= IMP_JITTER_REORDER;
	} else if (!strcmp(key, "loss")) {
		if (!strncmp(value, "gilbert:", 8)) {
			*expect = EXPECT_GILBERT;
			if ((rc = parse_gilbert(d, value)))
				return rc;
		} else {
			*expect = UNITS_EXPECT_FRACTION " or " EXPECT_GILBERT;
			if ((rc = parse_fraction(value, &d->loss)))
				return rc;
			d->loss_model = d->loss > 0 ? LOSS_BERNOULLI : LOSS_NONE;
		}
		d->set |= IMP_LOSS;
	} else if (!strcmp(key, "rate")) {
		*expect = UNITS_EXPECT_RATE;
		if ((rc = parse_rate(value, &d->rate_bps)))
			return rc;
		d->set |= IMP_RATE;
	} else if (!strcmp(key, "queue")) {
		*expect = "a number of frames from 1 to 1000000";
		if ((rc = parse_u64(value, 1, 1000000, &u)))
			return rc;
		d->queue_frames = (uint32_t)u;
		d->set |= IMP_QUEUE;
	} else if (!strcmp(key, "queue_bytes")) {
		*expect = UNITS_EXPECT_SIZE;
		if ((rc = parse_size(value, &d->queue_bytes)))
			return rc;
		d->set |= IMP_QUEUE_BYTES;
	} else if (!strcmp(key, "overhead")) {
		*expect = "a number of bytes from 0 to 1000";
		if ((rc = parse_u64(value, 0, 1000, &u)))
			return rc;
		d->overhead = (uint32_t)u;
		d->set |= IMP_OVERHEAD;
	} else if (!strcmp(key, "reorder")) {
		*expect = UNITS_EXPECT_FRACTION;
		if ((rc = parse_fraction(value, &d->reorder)))
			return rc;
		d->set |= IMP_REORDER;
	} else if (!strcmp(key, "duplicate")) {
		*expect = UNITS_EXPECT_FRACTION;
		if ((rc = parse_fraction(value, &d->duplicate)))
			return rc;
		d->set |= IMP_DUPLICATE;
	} else if (!strcmp(key, "corrupt")) {
		*expect = UNITS_EXPECT_FRACTION;
		if ((rc = parse_fraction(value, &d->corrupt)))
			return rc;
		d->set |= IMP_CORRUPT;
	} else if (!strcmp(key, "up")) {
		*expect = "yes or no";
		if ((rc = parse_bool(value, &d->up)))
			return rc;
		d->set |= IMP_UP;
	} else {
		*expect = "one of delay, jitter, dist, jitter_reorder, loss, rate, queue, "
			  "queue_bytes, overhead, reorder, duplicate, corrupt, up";
		return -ENOENT;
	}
	return 0;
}

/* Split "a2b.delay" into direction index and bare key; -1 for no prefix. */
static int split_prefix(const char *key, const char *const prefix[2], const char **bare)
{
	const char *dot = strchr(key, '.');
	*bare = key;
	if (!dot)
		return -1;
	for (int i = 0; i < 2; i++) {
		size_t n = strlen(prefix[i]);
		if ((size_t)(dot - key) == n && !strncmp(key, prefix[i], n)) {
			*bare = dot + 1;
			return i;
		}
	}
	return -2;
}

int impair_set(struct impair *im, const char *key, const char *value,
	       const char *const prefix[2], const char **expect)
{
	const char *bare;
	int dir = split_prefix(key, prefix, &bare), rc;

	if (dir == -2) {
		if (expect)
			*expect = "a direction prefix of this kind";
		return -ENOENT;
	}
	if (dir >= 0)
		return impair_dir_set(&im->dir[dir], bare, value, expect);
	rc = impair_dir_set(&im->dir[0], bare, value, expect);
	if (rc)
		return rc;
	return impair_dir_set(&im->dir[1], bare, value, expect);
}

bool impair_is_key(const char *key, const char *const prefix[2])
{
	static const char *const keys[] = {
		"delay", "jitter", "dist", "jitter_reorder", "loss", "rate", "queue",
		"queue_bytes", "overhead", "reorder", "duplicate", "corrupt", "up",
	};
	const char *bare;
	if (split_prefix(key, prefix, &bare) == -2)
		return false;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(bare, keys[i]))
			return true;
	return false;
}

void impair_dir_merge(struct impair_dir *dst, const struct impair_dir *src)
{
	uint32_t s = src->set;
	if (s & IMP_DELAY) dst->delay_ns = src->delay_ns;
	if (s & IMP_JITTER) dst->jitter_ns = src->jitter_ns;
	if (s & IMP_DIST) dst->dist = src->dist;
	if (s & IMP_JITTER_REORDER) dst->jitter_reorder = src->jitter_reorder;
	if (s & IMP_LOSS) {
		dst->loss_model = src->loss_model;
		dst->loss = src->loss;
		dst->ge_p = src->ge_p; dst->ge_r = src->ge_r;
		dst->ge_h = src->ge_h; dst->ge_k = src->ge_k;
	}
	if (s & IMP_RATE) dst->rate_bps = src->rate_bps;
	if (s & IMP_QUEUE) dst->queue_frames = src->queue_frames;
	if (s & IMP_QUEUE_BYTES) dst->queue_bytes = src->queue_bytes;
	if (s & IMP_OVERHEAD) dst->overhead = src->overhead;
	if (s & IMP_REORDER) dst->reorder = src->reorder;
	if (s & IMP_DUPLICATE) dst->duplicate = src->duplicate;
	if (s & IMP_CORRUPT) dst->corrupt = src->corrupt;
	if (s & IMP_UP) dst->up = src->up;
	dst->set |= s;
}

const char *impair_dir_check(const struct impair_dir *d)
{
	if ((d->set & IMP_DIST) && !(d->set & IMP_JITTER))
		return "dist= needs jitter=";
	if ((d->set & (IMP_QUEUE | IMP_QUEUE_BYTES | IMP_OVERHEAD)) && !(d->set & IMP_RATE))
		return "queue=, queue_bytes= and overhead= need rate=";
	if ((d->set & IMP_REORDER) && d->reorder > 0 && !(d->set & IMP_DELAY))
		return "reorder= needs delay= (frames overtake those held back by the delay)";
	return NULL;
}

char *impair_dir_format(const struct impair_dir *d, char *buf, int size)
{
	char u[UNITS_BUFSZ];
	int n = 0;
#define ADD(...) do { if (n < size) n += snprintf(buf + n, size - n, __VA_ARGS__); } while (0)
	buf[0] = '\0';
	if (d->set & IMP_DELAY) ADD("%sdelay=%s", n ? " " : "", fmt_duration(u, d->delay_ns));
	if (d->set & IMP_JITTER) ADD("%sjitter=%s", n ? " " : "", fmt_duration(u, d->jitter_ns));
	if (d->set & IMP_DIST) ADD("%sdist=%s", n ? " " : "", impair_dist_names[d->dist]);
	if (d->set & IMP_JITTER_REORDER) ADD("%sjitter_reorder=%s", n ? " " : "", d->jitter_reorder ? "yes" : "no");
	if (d->set & IMP_LOSS) {
		if (d->loss_model == LOSS_GILBERT) {
			char a[UNITS_BUFSZ], b[UNITS_BUFSZ], c[UNITS_BUFSZ];
			ADD("%sloss=gilbert:p=%s,r=%s,h=%s,k=%s", n ? " " : "", fmt_fraction(a, d->ge_p),
			    fmt_fraction(b, d->ge_r), fmt_fraction(c, d->ge_h), fmt_fraction(u, d->ge_k));
		} else {
			ADD("%sloss=%s", n ? " " : "", fmt_fraction(u, d->loss));
		}
	}
	if (d->set & IMP_RATE) ADD("%srate=%s", n ? " " : "", fmt_rate(u, d->rate_bps));
	if (d->set & IMP_QUEUE) ADD("%squeue=%u", n ? " " : "", d->queue_frames);
	if (d->set & IMP_QUEUE_BYTES) ADD("%squeue_bytes=%s", n ? " " : "", fmt_size(u, d->queue_bytes));
	if (d->set & IMP_OVERHEAD) ADD("%soverhead=%u", n ? " " : "", d->overhead);
	if (d->set & IMP_REORDER) ADD("%sreorder=%s", n ? " " : "", fmt_fraction(u, d->reorder));
	if (d->set & IMP_DUPLICATE) ADD("%sduplicate=%s", n ? " " : "", fmt_fraction(u, d->duplicate));
	if (d->set & IMP_CORRUPT) ADD("%scorrupt=%s", n ? " " : "", fmt_fraction(u, d->corrupt));
	if (d->set & IMP_UP) ADD("%sup=%s", n ? " " : "", d->up ? "yes" : "no");
#undef ADD
	return buf;
}
