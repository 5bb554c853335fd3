/* Unit tests of agents/duty and agents/wheel: sleeps drawn within their
 * bounds and reproducible from the seed, start phases spread as the duty
 * cycle says, the timing wheel firing every entry once, on time. */
#include "tests/check.h"
#include "agents/duty.h"
#include "agents/wheel.h"

#include <errno.h>
#include <stdlib.h>

static const struct duty D = { 5 * NS_PER_SEC, 30 * NS_PER_SEC, 60 * NS_PER_SEC, 42 };

TEST(sleep_within_bounds_and_uniform)
{
	double sum = 0;
	int n = 0, low = 0;
	for (uint32_t dev = 1; dev <= 2000; dev++)
		for (uint32_t c = 0; c < 10; c++, n++) {
			int64_t s = duty_sleep(&D, dev, c);
			CHECK(s >= D.sleep_min_ns && s <= D.sleep_max_ns);
			sum += (double)s;
			low += s < 45 * NS_PER_SEC;
		}
	CHECK_NEAR(sum / n / NS_PER_SEC, 45.0, 0.5);   /* mean of U(30,60) */
	CHECK_NEAR((double)low / n, 0.5, 0.02);
}

TEST(seeded_determinism)
{
	struct duty d2 = D;
	int same = 0;
	for (uint32_t dev = 1; dev <= 100; dev++) {
		CHECK_EQ_INT(duty_sleep(&D, dev, 3), duty_sleep(&D, dev, 3));
		CHECK_EQ_INT(duty_reading(&D, dev, 3), duty_reading(&D, dev, 3));
		d2.seed = 43;
		same += duty_sleep(&D, dev, 3) == duty_sleep(&d2, dev, 3);
	}
	CHECK(same < 5);   /* another seed, other draws */
	CHECK(duty_sleep(&D, 1, 0) != duty_sleep(&D, 1, 1) || duty_sleep(&D, 1, 1) != duty_sleep(&D, 1, 2));
}

TEST(start_phase_spread)
{
	int awake = 0, n = 20000;
	for (uint32_t dev = 0; dev < (uint32_t)n; dev++) {
		bool a;
		int64_t rem;
		duty_start(&D, dev, &a, &rem);
		CHECK(rem > 0);
		CHECK(a ? rem <= D.awake_ns : rem <= D.sleep_max_ns);
		awake += a;
	}
	/* P(awake) = E[5 / (5 + S)], S ~ U(30,60): about 0.1116 */
	CHECK_NEAR((double)awake / n, 0.1116, 0.01);
}

TEST(reading_range)
{
	for (uint32_t dev = 0; dev < 1000; dev++) {
		int32_t r = duty_reading(&D, dev, dev % 7);
		CHECK(r >= 15000 && r <= 35000);
	}
}

TEST(parse_range)
{
	int64_t a, b;
	CHECK_EQ_INT(duty_parse_range("30s-60s", &a, &b), 0);
	CHECK(a == 30 * NS_PER_SEC && b == 60 * NS_PER_SEC);
	CHECK_EQ_INT(duty_parse_range("1s", &a, &b), 0);
	CHECK(a == NS_PER_SEC && b == NS_PER_SEC);
	CHECK_EQ_INT(duty_parse_range("1s-500ms", &a, &b), -ERANGE);
	CHECK(duty_parse_range("1s-", &a, &b) < 0);
	CHECK(duty_parse_range("-1s", &a, &b) < 0);
	CHECK(duty_parse_range("1s-2s-3s", &a, &b) < 0);
}

static mono_ns fired_at[5000];
static int fired_n[5000];
static void on_fire(void *arg, uint32_t i, mono_ns now) { fired_at[i] = now; fired_n[i]++; (void)arg; }

TEST(wheel_fires_each_once_on_time)
{
	mono_ns t0 = 1000 * NS_PER_SEC;
	struct wheel *w = wheel_new(5000, NS_PER_MS, 256, t0);   /* 256 ms turn: many wrap */
	mono_ns due[5000];
	srand(7);
	for (uint32_t i = 0; i < 5000; i++) {
		due[i] = t0 + (mono_ns)(rand() % 3000) * NS_PER_MS + rand() % NS_PER_MS;
		wheel_add(w, i, due[i]);
	}
	for (uint32_t i = 0; i < 5000; i += 10)   /* delete a tenth */
		wheel_del(w, i);
	CHECK_EQ_INT(wheel_count(w), 4500);
	for (mono_ns t = t0; t <= t0 + 3100 * NS_PER_MS; t += 700 * NS_PER_US)
		wheel_expire(w, t, on_fire, NULL);
	int late = 0, early = 0, wrong = 0;
	for (uint32_t i = 0; i < 5000; i++) {
		if (i % 10 == 0) {
			wrong += fired_n[i] != 0;
			continue;
		}
		wrong += fired_n[i] != 1;
		early += fired_at[i] < due[i] - NS_PER_MS;   /* tick resolution */
		late += fired_at[i] > due[i] + 2 * NS_PER_MS;
	}
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(early, 0);
	CHECK_EQ_INT(late, 0);
	CHECK_EQ_INT(wheel_count(w), 0);
	CHECK_EQ_INT(wheel_timeout_ms(w, t0), -1);
	wheel_free(w);
}

TEST(wheel_timeout_is_the_earliest_due)
{
	struct wheel *w = wheel_new(3, NS_PER_MS, 64, 0);   /* 64 ms turn */
	CHECK_EQ_INT(wheel_timeout_ms(w, 0), -1);
	wheel_add(w, 0, 250 * NS_PER_MS);                   /* several turns away */
	CHECK_EQ_INT(wheel_timeout_ms(w, 0), 250);
	wheel_add(w, 1, 30 * NS_PER_MS);
	CHECK_EQ_INT(wheel_timeout_ms(w, 10 * NS_PER_MS), 20);
	wheel_del(w, 1);
	CHECK_EQ_INT(wheel_timeout_ms(w, 100 * NS_PER_MS), 150);
	CHECK_EQ_INT(wheel_timeout_ms(w, 300 * NS_PER_MS), 0);   /* overdue */
	wheel_free(w);
}

static struct wheel *rw;
static int refires;
static void rearm(void *arg, uint32_t i, mono_ns now) { refires++; wheel_add(rw, i, now); (void)arg; }

TEST(wheel_rearm_in_callback_does_not_loop)
{
	rw = wheel_new(4, NS_PER_MS, 16, 0);
	for (uint32_t i = 0; i < 4; i++)
		wheel_add(rw, i, 0);
	wheel_expire(rw, 5 * NS_PER_MS, rearm, NULL);
	CHECK(refires >= 4 && refires <= 4 * 7);   /* at most once per tick each */
	CHECK_EQ_INT(wheel_count(rw), 4);
	wheel_free(rw);
}

int main(void) { return run_tests(); }
