/* Unit tests of the .topo lexer and parser (testbed/topo.c): continuation,
 * comments, quotes, ${} substitution and overrides, ranges, attributes,
 * defaults, and the positions errors report. */
#include "tests/check.h"
#include "testbed/topo.h"

#include <errno.h>
#include <stdlib.h>

/* Parse TEXT; returns the model and the diagnostics. */
static struct topo *parse(const char *text, char **over, size_t n_over, struct topo_diag **d)
{
	struct topo *t;
	*d = diag_new("t.topo", text, strlen(text));
	topo_parse("t.topo", text, strlen(text), over, n_over, *d, &t);
	return t;
}

/* The printed errors, for checking messages and positions. */
static char *errors_of(const char *text, char **over, size_t n_over)
{
	struct topo_diag *d;
	struct plan *p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (plan_load_text("t.topo", text, strlen(text), over, n_over, &p, &d) == 0)
		plan_free(p);
	topo_diag_print(d, f, 0);
	fclose(f);
	topo_diag_free(d);
	return buf;
}

static size_t count_errors(const char *text)
{
	struct topo_diag *d;
	struct plan *p;
	if (plan_load_text("t.topo", text, strlen(text), NULL, 0, &p, &d) == 0)
		plan_free(p);
	size_t n = topo_diag_count(d);
	topo_diag_free(d);
	return n;
}

TEST(continuation_comments_and_quotes)
{
	struct topo_diag *d;
	struct topo *t = parse("# comment\n"
			       "segment lan subnet=10.0.0.0/24   # trailing comment\n"
			       "host a \\\n"
			       "   eth0=lan:auto \\\n"
			       "   run=\"echo '#not a comment' \\\"q\\\" \\\\x\"\n", NULL, 0, &d);
	CHECK_EQ_INT(d->count, 0);
	CHECK_EQ_INT(t->hosts.n, 1);
	CHECK_EQ_INT(t->hosts.v[0].runs.n, 1);
	struct plan_argv *a = &t->hosts.v[0].runs.v[0];
	CHECK_EQ_INT(a->argc, 4);
	CHECK_EQ_STR(a->argv[0], "echo");
	CHECK_EQ_STR(a->argv[1], "#not a comment");   /* single quotes group */
	CHECK_EQ_STR(a->argv[2], "\"q\"");            /* \" inside double quotes */
	CHECK_EQ_STR(a->argv[3], "\\x");              /* \\ inside double quotes */
	CHECK(a->argv[4] == NULL);
	CHECK_EQ_INT(t->hosts.v[0].ifaces.n, 1);
	CHECK_EQ_INT(t->hosts.v[0].ifaces.v[0].at.line, 4);
	CHECK_EQ_INT(t->hosts.v[0].ifaces.v[0].at.col, 4);
	topo_free(t);
	topo_diag_free(d);
}

TEST(params_substitution_and_overrides)
{
	struct topo_diag *d;
	char *over[] = { "n=5" };
	const char *text = "param n=2\nparam d=7ms\nsegment s subnet=10.0.0.0/24\n"
			   "host h[1-${n}] eth0=s:auto,delay=${d} run=\"x --n=${n}\"\n";
	struct topo *t = parse(text, NULL, 0, &d);
	CHECK_EQ_INT(d->count, 0);
	CHECK_EQ_INT(t->hosts.n, 2);
	CHECK_EQ_INT(t->hosts.v[0].ifaces.v[0].im.dir[0].delay_ns, 7000000);
	CHECK_EQ_STR(t->hosts.v[1].runs.v[0].argv[1], "--n=2");
	topo_free(t);
	topo_diag_free(d);
	t = parse(text, over, 1, &d);        /* the command line wins */
	CHECK_EQ_INT(d->count, 0);
	CHECK_EQ_INT(t->hosts.n, 5);
	CHECK_EQ_STR(t->hosts.v[4].name, "h5");
	CHECK_EQ_STR(t->hosts.v[4].runs.v[0].argv[1], "--n=5");
	topo_free(t);
	topo_diag_free(d);
}

TEST(substituted_value_is_literal)
{
	/* a value with blanks and '=' stays one piece of a word */
	struct topo_diag *d;
	struct topo *t = parse("param cmd=\"a b=c\"\nsegment s subnet=10.0.0.0/24\n"
			       "host h eth0=s:auto run=${cmd}\n", NULL, 0, &d);
	CHECK_EQ_INT(d->count, 0);
	CHECK_EQ_INT(t->hosts.v[0].runs.v[0].argc, 2);
	CHECK_EQ_STR(t->hosts.v[0].runs.v[0].argv[1], "b=c");
	topo_free(t);
	topo_diag_free(d);
}

TEST(ranges_inside_names_and_references)
{
	struct topo_diag *d;
	struct topo *t = parse("segment isp[1-3] subnet=10.0.0.0/24\n"
			       "segment lan[08-10]\n"
			       "host srv[1-3]x eth0=isp[1-3]\n"
			       "link lan[08-10] isp[1-3] delay=1ms\n", NULL, 0, &d);
	(void)t;
	/* the same subnet on three unlinked segments is an overlap, so plan
	 * only the parse here */
	CHECK_EQ_INT(d->count, 0);
	CHECK_EQ_INT(t->segments.n, 6);
	CHECK_EQ_STR(t->segments.v[3].name, "lan08");
	CHECK_EQ_STR(t->segments.v[5].name, "lan10");
	CHECK_EQ_STR(t->hosts.v[2].name, "srv3x");
	CHECK_EQ_STR(t->hosts.v[2].ifaces.v[0].seg, "isp3");
	CHECK_EQ_INT(t->links.n, 3);
	CHECK_EQ_STR(t->links.v[1].a, "lan09");
	CHECK_EQ_STR(t->links.v[1].b, "isp2");
	topo_free(t);
	topo_diag_free(d);
}

TEST(interface_impairments_and_directions)
{
	struct topo_diag *d;
	struct topo *t = parse("segment s subnet=10.0.0.0/24\n"
			       "host h eth0=s:auto,delay=20ms,out.loss=2%,in.rate=1mbit,in.queue=50,"
			       "loss=gilbert:p=1%,r=30%,h=5%,jitter=1ms\n", NULL, 0, &d);
	CHECK_EQ_INT(d->count, 0);
	const struct m_iface *f = &t->hosts.v[0].ifaces.v[0];
	CHECK(f->impaired);
	CHECK_EQ_INT(f->im.dir[0].delay_ns, 20000000);
	CHECK_EQ_INT(f->im.dir[1].delay_ns, 20000000);
	/* loss=gilbert (both directions) comes after out.loss, so it wins */
	CHECK_EQ_INT(f->im.dir[0].loss_model, LOSS_GILBERT);
	CHECK_NEAR(f->im.dir[1].ge_h, 0.05, 1e-12);
	CHECK_EQ_U64(f->im.dir[1].rate_bps, 1000000);
	CHECK(!(f->im.dir[0].set & IMP_RATE));
	CHECK_EQ_INT(f->im.dir[1].queue_frames, 50);
	CHECK_EQ_INT(f->im.dir[0].jitter_ns, 1000000);
	topo_free(t);
	topo_diag_free(d);
}

TEST(defaults_and_kind_memory)
{
	struct topo_diag *d;
	struct topo *t = parse("segment s\n"
			       "host u eth0=s\n"
			       "host q kind=qemu eth0=s\n"
			       "host n kind=netns eth0=s\n"
			       "defaults kind=qemu mem=256M cpus=2 image=alpine\n"
			       "host q2 eth0=s\n"
			       "host u2 kind=uml eth0=s\n"
			       "host n2 kind=netns eth0=s\n", NULL, 0, &d);
	CHECK_EQ_INT(d->count, 0);
	CHECK_EQ_INT(t->hosts.v[0].kind, PLAN_KIND_UML);
	CHECK_EQ_U64(t->hosts.v[0].mem, 48ULL << 20);
	CHECK_EQ_U64(t->hosts.v[1].mem, 128ULL << 20);
	CHECK_EQ_U64(t->hosts.v[2].mem, 0);
	CHECK_EQ_INT(t->hosts.v[3].kind, PLAN_KIND_QEMU);
	CHECK_EQ_U64(t->hosts.v[3].mem, 256ULL << 20);
	CHECK_EQ_INT(t->hosts.v[3].cpus, 2);
	CHECK_EQ_STR(t->hosts.v[3].image, "alpine");
	CHECK_EQ_INT(t->hosts.v[4].cpus, 1);        /* cpus default: qemu only */
	CHECK_EQ_U64(t->hosts.v[5].mem, 0);         /* netns: no guest memory */
	CHECK(t->hosts.v[5].image == NULL);
	topo_free(t);
	topo_diag_free(d);
}

TEST(error_columns_point_into_the_original_line)
{
	/* an error inside a substituted value points at the "${" */
	char *e = errors_of("param d=10\nsegment s subnet=10.0.0.0/24\nhost h eth0=s:auto,delay=${d}\n",
			    NULL, 0);
	CHECK(strstr(e, "t.topo:3:26: error: bad value '10' for delay") != NULL);
	CHECK(strstr(e, "\n                           ^~~~\n") != NULL);
	free(e);
	/* a continued line: the column is on the physical line */
	e = errors_of("segment s\nhost h \\\n  kind=vm\n", NULL, 0);
	CHECK(strstr(e, "t.topo:3:8: error: bad value 'vm' for kind") != NULL);
	free(e);
	/* an escaped quote shifts no column */
	e = errors_of("segment s\nhost h run=\"a\\\"b\" colour=1\n", NULL, 0);
	CHECK(strstr(e, "t.topo:2:19: error: unknown attribute 'colour'") != NULL);
	free(e);
}

TEST(all_errors_are_reported)
{
	CHECK_EQ_INT(count_errors("hots a\nsegment s subnet=10.0.0.0/33\nhost B\nhost c eth0=x:auto\n"
				  "link s s\n"), 5);
	/* a broken segment still declares its name: no cascade */
	CHECK_EQ_INT(count_errors("segment s subnet=bad\nhost h eth0=s:auto\n"), 1);
	/* range members repeat no errors */
	CHECK_EQ_INT(count_errors("segment s\nhost h[1-100] colour=1\n"), 1);
}

TEST(strict_values)
{
	CHECK_EQ_INT(count_errors("segment s subnet=10.0.0.0/024\n"), 1);
	CHECK_EQ_INT(count_errors("segment s\nhost h eth01=s\n"), 1);
	CHECK_EQ_INT(count_errors("segment s\nhost h eth0=s:auto,delay=5\n"), 1);
	CHECK_EQ_INT(count_errors("segment s\nhost h mem=8M eth0=s\n"), 1);
	CHECK_EQ_INT(count_errors("segment s\nhost h eth0=s,\n"), 1);
	CHECK_EQ_INT(count_errors("segment s\nhost h[1-2000000000] eth0=s\n"), 1);
	CHECK_EQ_INT(count_errors("segment s\nhost h eth0=s run=\"\"\n"), 1);
	CHECK_EQ_INT(count_errors("segment s\nhost h eth0=s route=\"10.0.0.0/8 dev eth0\"\n"), 1);
	CHECK_EQ_INT(count_errors("segment s\nhost h eth0=s\x01\n"), 1);
	CHECK_EQ_INT(count_errors("segment s subnet=10.0.0.0/24\nhost h eth0=s:auto\n"), 0);
}

TEST(nul_and_crlf)
{
	static const char text[] = "segment s subnet=10.0.0.0/24\r\nhost h eth0=s:auto\r\n";
	CHECK_EQ_INT(count_errors(text), 0);
	struct topo_diag *d;
	struct plan *p;
	static const char nul[] = "segment s\0x\n";
	CHECK_EQ_INT(plan_load_text("t.topo", nul, sizeof(nul) - 1, NULL, 0, &p, &d), -EINVAL);
	CHECK_EQ_INT(topo_diag_count(d), 1);
	topo_diag_free(d);
}

TEST(testbed_name)
{
	struct topo_diag *d;
	struct plan *p;
	const char *text = "segment s\n";
	CHECK_EQ_INT(plan_load_text("dir/my-net.topo", text, strlen(text), NULL, 0, &p, &d), 0);
	CHECK_EQ_STR(p->name, "my-net");
	plan_free(p);
	topo_diag_free(d);
	CHECK_EQ_INT(plan_load_text("dir/My Net.topo", text, strlen(text), NULL, 0, &p, &d), -EINVAL);
	topo_diag_free(d);
	text = "testbed lab1\nsegment s\n";
	CHECK_EQ_INT(plan_load_text("x.topo", text, strlen(text), NULL, 0, &p, &d), 0);
	CHECK_EQ_STR(p->name, "lab1");
	plan_free(p);
	topo_diag_free(d);
}

int main(void) { return run_tests(); }
