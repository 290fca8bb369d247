/*
 * rlm_hotspot's batching queue (hs_batch.c): every item processed exactly
 * once, its submitter woken only after its own batch; batch_max; conflicting
 * items kept apart and in their place in line; queue_max; stopping with
 * items queued and a worker busy; gathering by announce (wait_us, withdraw)
 * and by arrival rate; the idle callback.
 *
 * The machine may be loaded: a bound where the expectation is about zero is
 * generous (a quarter of a second or more), and a batch size is asserted
 * only where the test forces it, by holding the workers inside process()
 * while items queue up. Only the main thread asserts; the others record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "radiusd-module/hs_batch.h"

#define NELEM(a)    (sizeof(a) / sizeof((a)[0]))
#define T_ITEMS_MAX 4096   /* items (and process() calls) one test records */
#define T_SETTLE_US 300000 /* lets started submitters reach the queue */
#define T_HANG_S    30     /* a thread not back by then hangs */
#define T_LOAD_THR  16
#define T_LOAD_EACH 200
#define T_ABANDONED UINT_MAX              /* an item's outcome once abandoned */
#define T_FIX_ITEMS (T_LOAD_THR * 20 + 1) /* items one test of t_fix uses at the most */
#define T_FIX_SUBS  16                    /* submitters of t_fix */

typedef struct t_item {
	unsigned id;
	unsigned key;          /* items with equal keys conflict (where the ops say so) */
	atomic_uint processed; /* times given to process() */
	atomic_uint abandoned; /* times given to abandon() */
	atomic_uint outcome;   /* id + 1 once processed, T_ABANDONED once abandoned */
	atomic_bool finished;  /* set as process() returns: its submitter must see it */
	unsigned call;         /* the process() call that had it */
} t_item;

/* What the callbacks saw; the lock also orders the test's gates. */
typedef struct t_ctx {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned workers, batch_max; /* the queue's, for the checks */
	unsigned delay_us;           /* process() lasts this long (a database call) */
	unsigned permits;            /* process() calls that may return (the rest wait) */
	unsigned calls, max_n, bad_n, bad_worker, shared_key;
	unsigned sizes[T_ITEMS_MAX]; /* n of each call */
	unsigned order[T_ITEMS_MAX]; /* item ids in the order process() got them */
	unsigned n_order;
	bool worker0_known;
	pthread_t worker0;
	/* idle() */
	unsigned idle_true; /* idle() returns true this many more times */
	unsigned idle_calls, idle_foreign;
	double idle_at[64];
	bool idle_known;
	pthread_t idle_thread;
	double created; /* just before hs_batch_create */
} t_ctx;

static double t_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void t_items(t_item *v, unsigned n, unsigned key_mod)
{
	unsigned i;

	memset(v, 0, n * sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i].id = i;
		v[i].key = key_mod ? i % key_mod : i;
	}
}

/* --- the callbacks ------------------------------------------------------------- */

/* Records one batch. c->lock held. */
static void t_note(t_ctx *c, unsigned worker, void **items, unsigned n, unsigned call)
{
	unsigned i, j;

	if (call < NELEM(c->sizes))
		c->sizes[call] = n;
	if (n > c->max_n)
		c->max_n = n;
	if (n == 0 || n > c->batch_max)
		c->bad_n++;
	if (worker >= c->workers)
		c->bad_worker++;
	if (worker == 0 && !c->worker0_known) {
		c->worker0 = pthread_self();
		c->worker0_known = true;
	}
	for (i = 0; i < n; i++) {
		t_item *it = items[i];

		atomic_fetch_add(&it->processed, 1);
		atomic_store(&it->outcome, it->id + 1);
		it->call = call;
		if (c->n_order < NELEM(c->order))
			c->order[c->n_order++] = it->id;
		for (j = 0; j < i; j++)
			if (((t_item *)items[j])->key == it->key)
				c->shared_key++;
	}
}

/* Holds the call while the test gives no permit for it. */
static void t_process(void *ctx, unsigned worker, void **items, unsigned n)
{
	t_ctx *c = ctx;
	unsigned call, i;

	pthread_mutex_lock(&c->lock);
	call = c->calls++;
	t_note(c, worker, items, n, call);
	pthread_cond_broadcast(&c->cond);
	while (call >= c->permits)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	if (c->delay_us)
		usleep(c->delay_us);
	for (i = 0; i < n; i++)
		atomic_store(&((t_item *)items[i])->finished, true);
}

static bool t_conflict(void const *a, void const *b)
{
	return ((t_item const *)a)->key == ((t_item const *)b)->key;
}

static void t_abandon(void *ctx, void *item)
{
	t_item *it = item;

	(void)ctx;
	atomic_fetch_add(&it->abandoned, 1);
	atomic_store(&it->outcome, T_ABANDONED);
}

static bool t_idle(void *ctx)
{
	t_ctx *c = ctx;
	bool more;

	pthread_mutex_lock(&c->lock);
	if (!c->idle_known) {
		c->idle_thread = pthread_self();
		c->idle_known = true;
	}
	if (!pthread_equal(c->idle_thread, pthread_self()) ||
	    (c->worker0_known && !pthread_equal(c->worker0, pthread_self())))
		c->idle_foreign++;
	if (c->idle_calls < NELEM(c->idle_at))
		c->idle_at[c->idle_calls] = t_now();
	c->idle_calls++;
	more = c->idle_true > 0;
	if (more)
		c->idle_true--;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return more;
}

/* The accounting writer's shape (abandon, idle) and the Access-Request one (conflict). */
static hs_batch_ops const t_ops = {.process = t_process, .abandon = t_abandon};
static hs_batch_ops const t_ops_idle = {.process = t_process, .idle = t_idle, .abandon = t_abandon};
static hs_batch_ops const t_ops_keyed = {.process = t_process, .conflict = t_conflict};
static hs_batch_ops const t_ops_all = {
	.process = t_process, .idle = t_idle, .conflict = t_conflict, .abandon = t_abandon};

/* --- the test's side ----------------------------------------------------------- */

/* A test's queue: its settings (name and workers are t_start's), callbacks and their ways. */
typedef struct t_case {
	hs_batch_config cfg;
	hs_batch_ops const *ops;
	unsigned items;     /* fresh items the test uses (t_begin), keys = ids */
	unsigned delay_us;  /* process() lasts this long */
	unsigned idle_true; /* idle() returns true this many times first */
} t_case;

/* The workers of a test run once with each (T_ONE_WORKER, T_TWO_WORKERS). */
static unsigned t_workers(void **state)
{
	return *(unsigned const *)*state;
}

static void t_init(t_ctx *c)
{
	pthread_condattr_t ca;

	memset(c, 0, sizeof(*c));
	c->permits = UINT_MAX;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
}

static void t_fini(t_ctx *c)
{
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
}

/* Makes c fresh, set up as k says, and starts the queue of k on it with workers. */
static hs_batch *t_start(t_ctx *c, t_case const *k, unsigned workers)
{
	hs_batch_config cfg = k->cfg;
	hs_batch *b;

	cfg.name = "t";
	cfg.workers = workers;
	t_init(c);
	c->workers = cfg.workers;
	c->batch_max = cfg.batch_max;
	c->delay_us = k->delay_us;
	c->idle_true = k->idle_true;
	c->created = t_now();
	b = hs_batch_create(&cfg, k->ops, c);
	assert_non_null(b);
	return b;
}

/* Lets the first k process() calls return (UINT_MAX: all). */
static void t_permit(t_ctx *c, unsigned k)
{
	pthread_mutex_lock(&c->lock);
	c->permits = k;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Waits until *field (a counter of c) reaches at_least; false after seconds. */
static bool t_wait_for(t_ctx *c, unsigned const *field, unsigned at_least, double seconds)
{
	struct timespec when;
	bool reached;

	clock_gettime(CLOCK_MONOTONIC, &when);
	when.tv_sec += (time_t)seconds;
	when.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (when.tv_nsec >= 1000000000L) {
		when.tv_sec++;
		when.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->lock);
	while (*field < at_least)
		if (pthread_cond_timedwait(&c->cond, &c->lock, &when) != 0)
			break;
	reached = *field >= at_least;
	pthread_mutex_unlock(&c->lock);
	return reached;
}

static unsigned t_read(t_ctx *c, unsigned const *field)
{
	unsigned v;

	pthread_mutex_lock(&c->lock);
	v = *field;
	pthread_mutex_unlock(&c->lock);
	return v;
}

static void t_join(pthread_t t)
{
	struct timespec when;

	clock_gettime(CLOCK_REALTIME, &when);
	when.tv_sec += T_HANG_S;
	if (pthread_timedjoin_np(t, NULL, &when) != 0)
		fail_msg("a thread is still blocked after %d s", T_HANG_S);
}

/* Submits item from this thread, which must be taken; the seconds that took. */
static double t_submit_took(hs_batch *b, t_item *item)
{
	double t0 = t_now();

	assert_true(hs_batch_submit(b, item));
	return t_now() - t0;
}

/* One submitter on a thread of its own. */
typedef struct t_sub {
	hs_batch *b;
	t_item *item;
	bool announce; /* announces itself first, as hs_authorize does */
	pthread_t thread;
	bool ok;
	double began, ended; /* around hs_batch_submit */
	atomic_bool done;
} t_sub;

static void *t_sub_run(void *arg)
{
	t_sub *s = arg;

	if (s->announce)
		hs_batch_announce(s->b);
	s->began = t_now();
	s->ok = hs_batch_submit(s->b, s->item);
	s->ended = t_now();
	atomic_store(&s->done, true);
	return NULL;
}

static void t_sub_start(t_sub *s, hs_batch *b, t_item *item, bool announce)
{
	*s = (t_sub){.b = b, .item = item, .announce = announce};
	assert_int_equal(pthread_create(&s->thread, NULL, t_sub_run, s), 0);
}

/* Whether the submitter came back within seconds (polling; it is not joined). */
static bool t_sub_back(t_sub *s, double seconds)
{
	double until = t_now() + seconds;

	while (!atomic_load(&s->done) && t_now() < until)
		usleep(5000);
	return atomic_load(&s->done);
}

/* --- one queue, its items and their submitters --------------------------------- */

/* A test's queue, what its callbacks saw, its items and their submitters (s[i] submits it[i]). */
typedef struct t_fix {
	t_ctx c;
	hs_batch *b;
	t_item it[T_FIX_ITEMS];
	t_sub s[T_FIX_SUBS];
} t_fix;

/* Starts the queue of k with workers and k->items fresh items. */
static void t_begin(t_fix *f, t_case const *k, unsigned workers)
{
	assert_true(k->items <= NELEM(f->it));
	t_items(f->it, k->items, 0);
	f->b = t_start(&f->c, k, workers);
}

/* Stops the queue; what the callbacks recorded stays readable. */
static void t_end(t_fix *f)
{
	hs_batch_free(f->b);
	t_fini(&f->c);
}

static void t_fix_sub(t_fix *f, unsigned i, bool announce)
{
	assert_true(i < NELEM(f->s));
	t_sub_start(&f->s[i], f->b, &f->it[i], announce);
}

/* Starts submitter i and gives it time to be queued behind the ones before. */
static void t_sub_queue(t_fix *f, unsigned i)
{
	t_fix_sub(f, i, false);
	usleep(T_SETTLE_US);
}

/* Starts announcing submitter i, and checks that it still waits (for company) a while later. */
static void t_sub_waiting(t_fix *f, unsigned i)
{
	t_fix_sub(f, i, true);
	usleep(T_SETTLE_US);
	assert_false(atomic_load(&f->s[i].done));
}

/* Runs announcing submitter i to its end: the seconds hs_batch_submit took. */
static double t_sub_took(t_fix *f, unsigned i)
{
	t_fix_sub(f, i, true);
	t_join(f->s[i].thread);
	return f->s[i].ended - f->s[i].began;
}

/* Holds every worker inside process() with an item of its own (0 to workers - 1). */
static void t_hold_workers(t_fix *f, unsigned workers)
{
	unsigned i;

	t_permit(&f->c, 0);
	for (i = 0; i < workers; i++) {
		t_fix_sub(f, i, false);
		assert_true(t_wait_for(&f->c, &f->c.calls, i + 1, 10));
	}
}

/* Holds every worker, then queues items workers to end - 1 behind them. */
static void t_queue_behind(t_fix *f, unsigned workers, unsigned end)
{
	unsigned i;

	t_hold_workers(f, workers);
	for (i = workers; i < end; i++)
		t_fix_sub(f, i, false);
	usleep(T_SETTLE_US);
}

/* Joins submitters from to end - 1: each one's item was taken and processed once. */
static void t_processed_once(t_fix *f, unsigned from, unsigned end)
{
	unsigned i;

	for (i = from; i < end; i++) {
		t_join(f->s[i].thread);
		assert_true(f->s[i].ok);
		assert_int_equal(atomic_load(&f->it[i].processed), 1);
	}
}

/* --- many threads -------------------------------------------------------------- */

typedef struct t_load {
	hs_batch *b;
	t_item *items;
	unsigned n;
	bool announce;
	pthread_t thread;
	unsigned refused, early;
} t_load;

static void *t_load_run(void *arg)
{
	t_load *l = arg;
	unsigned i;

	for (i = 0; i < l->n; i++) {
		t_item *it = &l->items[i];

		if (l->announce && i % 5 == 2) {
			/* A request refused before it reaches the queue. */
			hs_batch_announce(l->b);
			hs_batch_withdraw(l->b);
		}
		if (l->announce)
			hs_batch_announce(l->b);
		if (!hs_batch_submit(l->b, it))
			l->refused++;
		else if (!atomic_load(&it->finished) || atomic_load(&it->outcome) != it->id + 1)
			l->early++;
	}
	return NULL;
}

/*
 * Starts 16 threads of n items each on it[] and waits for them: the items
 * refused, and in *early those whose submitter woke before its batch ended.
 */
static unsigned t_load_threads(hs_batch *b, t_item *it, unsigned n, bool announce, unsigned *early)
{
	t_load load[T_LOAD_THR];
	unsigned i, refused = 0;

	*early = 0;
	for (i = 0; i < T_LOAD_THR; i++) {
		load[i] = (t_load){.b = b, .items = &it[i * n], .n = n, .announce = announce};
		assert_int_equal(pthread_create(&load[i].thread, NULL, t_load_run, &load[i]), 0);
	}
	for (i = 0; i < T_LOAD_THR; i++) {
		t_join(load[i].thread);
		refused += load[i].refused;
		*early += load[i].early;
	}
	return refused;
}

/* Starts 16 threads of n items each on it[] and waits for them; returns the seconds taken. */
static double t_burst(hs_batch *b, t_item *it, unsigned n)
{
	double t0 = t_now();
	unsigned early;

	assert_int_equal(t_load_threads(b, it, n, false, &early), 0);
	return t_now() - t0;
}

static t_item t_load_items[T_LOAD_THR * T_LOAD_EACH];

/*
 * 16 threads submit 200 items each; every item must be processed exactly
 * once, in a batch of at most batch_max without two conflicting items, and
 * its submitter must see the outcome of its whole batch. c is left filled.
 */
static void t_run_load(t_ctx *c, t_case const *k, unsigned workers, bool announce)
{
	unsigned i, refused, early, sum = 0;
	hs_batch *b = t_start(c, k, workers);

	t_items(t_load_items, NELEM(t_load_items), k->ops->conflict ? 13 : 0);
	refused = t_load_threads(b, t_load_items, T_LOAD_EACH, announce, &early);
	hs_batch_free(b);
	assert_int_equal(refused, 0);
	assert_int_equal(early, 0);
	for (i = 0; i < NELEM(t_load_items); i++) {
		assert_int_equal(atomic_load(&t_load_items[i].processed), 1);
		assert_int_equal(atomic_load(&t_load_items[i].abandoned), 0);
	}
	for (i = 0; i < c->calls && i < NELEM(c->sizes); i++)
		sum += c->sizes[i];
	assert_int_equal(sum, NELEM(t_load_items));
	assert_int_equal(c->n_order, NELEM(t_load_items));
	assert_int_equal(c->bad_n, 0);
	assert_int_equal(c->bad_worker, 0);
	assert_int_equal(c->shared_key, 0);
	assert_int_equal(c->idle_foreign, 0);
}

/* A load test: the queue, how its submitters behave, and what it checks beyond t_run_load. */
typedef struct t_load_case {
	t_case k;
	unsigned workers;
	bool announce;                /* as hs_authorize does */
	void (*also)(t_ctx const *c); /* or NULL */
} t_load_case;

static void t_idle_called(t_ctx const *c)
{
	assert_true(c->idle_calls > 0);
}

static void t_idle_called_if_worker0_ran(t_ctx const *c)
{
	if (c->worker0_known)
		assert_true(c->idle_calls > 0);
}

static void t_batches_grew(t_ctx const *c)
{
	assert_true(c->max_n > 1);
}

static void test_load(void **state)
{
	t_load_case const *l = *state;
	t_ctx c;

	t_run_load(&c, &l->k, l->workers, l->announce);
	if (l->also)
		l->also(&c);
	t_fini(&c);
}

static t_load_case const t_load_one_worker = {
	.k = {.cfg = {.batch_max = 8, .queue_max = 64}, .ops = &t_ops_keyed}, .workers = 1};

/* The Access-Request batchers' shape: two workers, announce, conflicts. */
static t_load_case const t_load_two_workers_announce = {
	.k = {.cfg = {.batch_max = 8, .wait_us = 2000, .queue_max = 64}, .ops = &t_ops_all},
	.workers = 2,
	.announce = true,
	.also = t_idle_called_if_worker0_ran};

/* The accounting writer's shape: one worker, by rate, idle and abandon. */
static t_load_case const t_load_by_rate = {
	.k = {.cfg = {.batch_max = 32, .wait_us = 2000, .queue_max = 64, .by_rate = true},
	      .ops = &t_ops_idle},
	.workers = 1,
	.also = t_idle_called};

/* Under a sustained burst from many threads, batches hold more than one item. */
static t_load_case const t_rate_burst = {
	.k = {.cfg = {.batch_max = 32, .wait_us = 20000, .queue_max = 64, .by_rate = true},
	      .ops = &t_ops,
	      .delay_us = 200},
	.workers = 1,
	.also = t_batches_grew};

/* --- forced batches ------------------------------------------------------------ */

/* Ten queued behind a busy worker, batch_max 4: batches of 4, 4 and 2. */
static void test_batch_max(void **state)
{
	static t_case const k = {
		.cfg = {.batch_max = 4, .queue_max = 64}, .ops = &t_ops, .items = 11};
	t_fix f;

	(void)state;
	t_begin(&f, &k, 1);
	t_queue_behind(&f, 1, k.items);
	t_permit(&f.c, UINT_MAX);
	t_processed_once(&f, 0, k.items);
	t_end(&f);
	assert_int_equal(f.c.calls, 4);
	assert_int_equal(f.c.sizes[0], 1);
	assert_int_equal(f.c.sizes[1], 4);
	assert_int_equal(f.c.sizes[2], 4);
	assert_int_equal(f.c.sizes[3], 2);
	assert_int_equal(f.c.bad_n, 0);
}

/*
 * Queued in this order behind a busy worker: A(k1) B(k1) C(k2) D(k3) E(k2).
 * The next batch is A C D; B and E wait, keeping their place: while A C D
 * is processed, F(k4) and G(k1) arrive, and the batch after is B E F, then G.
 */
static void test_conflict(void **state)
{
	static unsigned const keys[] = {100, 1, 1, 2, 3, 2, 4, 1}; /* X A B C D E F G */
	static unsigned const want_order[] = {0, 1, 3, 4, 2, 5, 6, 7};
	static unsigned const want_call[] = {0, 1, 2, 1, 1, 2, 2, 3};
	static t_case const k = {.cfg = {.batch_max = 8, .queue_max = 64},
				 .ops = &t_ops_keyed,
				 .items = NELEM(keys)};
	t_fix f;
	unsigned i;

	(void)state;
	t_begin(&f, &k, 1);
	for (i = 0; i < k.items; i++)
		f.it[i].key = keys[i];
	t_hold_workers(&f, 1);
	for (i = 1; i <= 5; i++)
		t_sub_queue(&f, i);
	t_permit(&f.c, 1);
	assert_true(t_wait_for(&f.c, &f.c.calls, 2, 10));
	for (i = 6; i < k.items; i++)
		t_sub_queue(&f, i);
	t_permit(&f.c, UINT_MAX);
	t_processed_once(&f, 0, k.items);
	for (i = 0; i < k.items; i++)
		assert_int_equal(f.it[i].call, want_call[i]);
	t_end(&f);
	assert_int_equal(f.c.calls, 4);
	assert_int_equal(f.c.shared_key, 0);
	assert_int_equal(f.c.n_order, NELEM(want_order));
	assert_memory_equal(f.c.order, want_order, sizeof(want_order));
}

/*
 * Submits item i on a thread of its own, so that a wrong acceptance cannot
 * hang the test: it must be refused at once.
 */
static void t_refused(t_fix *f, unsigned i)
{
	double t0 = t_now();
	t_sub r;

	t_sub_start(&r, f->b, &f->it[i], false);
	if (!t_sub_back(&r, 5)) {
		t_permit(&f->c, UINT_MAX);
		t_join(r.thread);
		fail_msg("item %u was queued beyond queue_max", i);
	}
	t_join(r.thread);
	assert_false(r.ok);
	assert_true(r.ended - r.began < 1.0);
	assert_true(t_now() - t0 < 5.0);
}

/* queue_max 3, all three queued behind a busy worker: more are refused at once. */
static void test_queue_max(void **state)
{
	static t_case const k = {
		.cfg = {.batch_max = 8, .queue_max = 3}, .ops = &t_ops, .items = 10};
	t_fix f;
	unsigned i;

	(void)state;
	t_begin(&f, &k, 1);
	t_queue_behind(&f, 1, 4);
	for (i = 4; i < 9; i++)
		t_refused(&f, i);
	t_permit(&f.c, UINT_MAX);
	t_processed_once(&f, 0, 4);
	for (i = 4; i < 9; i++)
		assert_int_equal(atomic_load(&f.it[i].processed), 0);
	/* Room again once the worker took them. */
	assert_true(hs_batch_submit(f.b, &f.it[9]));
	assert_int_equal(atomic_load(&f.it[9].processed), 1);
	t_end(&f);
}

/* --- stopping ------------------------------------------------------------------ */

/* hs_batch_free on a thread of its own. */
typedef struct t_freer {
	hs_batch *b;
	pthread_t thread;
	atomic_bool done;
} t_freer;

static void *t_freer_run(void *arg)
{
	t_freer *f = arg;

	hs_batch_free(f->b);
	atomic_store(&f->done, true);
	return NULL;
}

static void t_freer_start(t_freer *fr, hs_batch *b)
{
	*fr = (t_freer){.b = b};
	assert_int_equal(pthread_create(&fr->thread, NULL, t_freer_run, fr), 0);
}

/*
 * Every worker busy in process(), three items queued: hs_batch_free waits
 * for the batches in progress, abandons the queued ones and their
 * submitters return. The leak check is the sanitizer's (and valgrind's).
 */
static void test_free_queued(void **state)
{
	static t_case const k = {
		.cfg = {.batch_max = 8, .queue_max = 16}, .ops = &t_ops, .items = 5};
	unsigned i, q0 = t_workers(state);
	t_freer fr;
	t_fix f;

	t_begin(&f, &k, q0);
	t_queue_behind(&f, q0, q0 + 3);
	t_freer_start(&fr, f.b);
	usleep(T_SETTLE_US);
	/* It waits for the batches in progress. */
	assert_false(atomic_load(&fr.done));
	t_permit(&f.c, UINT_MAX);
	t_join(fr.thread);
	t_processed_once(&f, 0, q0);
	for (i = 0; i < q0; i++) {
		assert_int_equal(atomic_load(&f.it[i].abandoned), 0);
		assert_true(atomic_load(&f.it[i].finished));
	}
	for (i = q0; i < q0 + 3; i++) {
		t_join(f.s[i].thread);
		assert_int_equal(atomic_load(&f.it[i].processed), 0);
		assert_int_equal(atomic_load(&f.it[i].abandoned), 1);
		assert_int_equal(atomic_load(&f.it[i].outcome), T_ABANDONED);
	}
	assert_int_equal(f.c.calls, q0);
	t_fini(&f.c);
}

/* A batch waiting a long wait_us for an announced thread does not hold up stopping. */
static void test_free_while_gathering(void **state)
{
	static t_case const k = {.cfg = {.batch_max = 8, .wait_us = 10000000, .queue_max = 16},
				 .ops = &t_ops_all,
				 .items = 1};
	t_freer fr;
	t_fix f;
	double t0;

	t_begin(&f, &k, t_workers(state));
	hs_batch_announce(f.b); /* one that will never come */
	t_sub_waiting(&f, 0);
	t0 = t_now();
	t_freer_start(&fr, f.b);
	t_join(fr.thread);
	t_join(f.s[0].thread);
	assert_true(t_now() - t0 < 3.0);
	/* Taken by the waking worker or left in the queue: once, either way. */
	assert_int_equal(atomic_load(&f.it[0].processed) + atomic_load(&f.it[0].abandoned), 1);
	t_fini(&f.c);
}

/* --- gathering by announce ----------------------------------------------------- */

/* A thread that announces itself, then submits when told to (or withdraws). */
typedef struct t_late {
	hs_batch *b;
	t_item *item;
	bool withdraw;
	pthread_t thread;
	atomic_bool announced, go;
	double acted; /* when it submitted or withdrew */
} t_late;

static void *t_late_run(void *arg)
{
	t_late *l = arg;

	hs_batch_announce(l->b);
	atomic_store(&l->announced, true);
	while (!atomic_load(&l->go))
		usleep(1000);
	l->acted = t_now();
	if (l->withdraw)
		hs_batch_withdraw(l->b);
	else
		(void)hs_batch_submit(l->b, l->item);
	return NULL;
}

static void t_late_start(t_late *l, hs_batch *b, t_item *item, bool withdraw)
{
	*l = (t_late){.b = b, .item = item, .withdraw = withdraw};
	assert_int_equal(pthread_create(&l->thread, NULL, t_late_run, l), 0);
	while (!atomic_load(&l->announced))
		usleep(1000);
}

/* The Access-Request batchers' shape, gathering by announce for at most wait_us. */
static t_case t_announce_case(unsigned wait_us, unsigned items)
{
	return (t_case){.cfg = {.batch_max = 8, .wait_us = wait_us, .queue_max = 16},
			.ops = &t_ops_keyed,
			.items = items};
}

/*
 * On a queue of workers and wait_us, submitter 0 announces itself and
 * submits it[0] while a late thread has announced itself: it waits for the
 * late one, which then submits it[1] (or withdraws); submitter 0 comes back
 * taken, when the late one acted, not when wait_us ran out. The queue is
 * stopped; f is left filled.
 */
static void t_gather(t_fix *f, unsigned workers, unsigned wait_us, bool withdraw)
{
	t_case const k = t_announce_case(wait_us, withdraw ? 1 : 2);
	t_late late;

	t_begin(f, &k, workers);
	t_late_start(&late, f->b, withdraw ? NULL : &f->it[1], withdraw);
	t_sub_waiting(f, 0);
	atomic_store(&late.go, true);
	t_join(late.thread);
	t_join(f->s[0].thread);
	assert_true(f->s[0].ok);
	assert_true(f->s[0].ended - late.acted < 2.5);
	t_end(f);
}

/* An early item waits for an announced thread; both land in one process() call. */
static void test_announce_gathers(void **state)
{
	t_fix f;

	t_gather(&f, t_workers(state), 5000000, false);
	assert_int_equal(f.c.calls, 1);
	assert_int_equal(f.c.sizes[0], 2);
	assert_int_equal(f.it[0].call, f.it[1].call);
}

/* An announced thread that never comes holds a batch for wait_us, no longer. */
static void test_announce_wait_bounded(void **state)
{
	t_case const k = t_announce_case(300000, 2);
	t_late late;
	t_fix f;
	double took;

	t_begin(&f, &k, t_workers(state));
	t_late_start(&late, f.b, &f.it[1], true);
	took = t_sub_took(&f, 0);
	assert_true(f.s[0].ok);
	assert_true(took >= 0.29);
	assert_true(took < 3.0);
	atomic_store(&late.go, true);
	t_join(late.thread);
	/* Withdrawn: a lone item now waits for nobody. */
	assert_true(t_sub_took(&f, 1) < 0.25);
	t_end(&f);
	assert_int_equal(f.c.calls, 2);
}

/* hs_batch_withdraw releases a batch waiting for the withdrawing thread. */
static void test_withdraw_releases(void **state)
{
	t_fix f;

	t_gather(&f, t_workers(state), 10000000, true);
	assert_int_equal(atomic_load(&f.it[0].processed), 1);
}

/* --- gathering by rate --------------------------------------------------------- */

/* A lone item on a quiet queue does not wait out a long wait_us. */
static void test_rate_lone_item(void **state)
{
	static t_case const k = {
		.cfg = {.batch_max = 64, .wait_us = 500000, .queue_max = 64, .by_rate = true},
		.ops = &t_ops,
		.items = 1};
	t_fix f;

	(void)state;
	t_begin(&f, &k, 1);
	usleep(T_SETTLE_US);
	assert_true(t_submit_took(f.b, &f.it[0]) < 0.25);
	assert_int_equal(atomic_load(&f.it[0].processed), 1);
	t_end(&f);
}

/*
 * A burst long past does not make a lone item wait (hs_batch.h): after 16
 * threads' burst and two quiet seconds, a lone item is taken at once.
 *
 * The rate as of the lone item's arrival counts the quiet seconds; a rate
 * last updated at the burst's final take would make it wait out wait_us.
 */
static void test_rate_after_burst(void **state)
{
	static t_case const k = {
		.cfg = {.batch_max = 8, .wait_us = 500000, .queue_max = 64, .by_rate = true},
		.ops = &t_ops,
		.items = T_LOAD_THR * 20 + 1,
		.delay_us = 200};
	t_fix f;
	double took;

	(void)state;
	t_begin(&f, &k, 1);
	(void)t_burst(f.b, f.it, 20);
	sleep(2);
	took = t_submit_took(f.b, &f.it[k.items - 1]);
	t_end(&f);
	assert_true(took < 0.25);
}

/*
 * Every submitter waits for its item, so no more items can be queued than
 * there are submitting threads: a batch must not wait out wait_us for more
 * than that. 16 threads, 20 items each, batch_max 64, wait_us 200 ms: the
 * burst takes milliseconds when nothing waits in vain.
 *
 * A target of rate * wait_us capped by batch_max only would wait out
 * wait_us on every batch once it exceeds the threads that can submit.
 */
static void test_rate_closed_loop(void **state)
{
	static t_case const k = {
		.cfg = {.batch_max = 64, .wait_us = 200000, .queue_max = 64, .by_rate = true},
		.ops = &t_ops,
		.items = T_LOAD_THR * 20,
		.delay_us = 200};
	t_fix f;
	double took;
	unsigned i;

	(void)state;
	t_begin(&f, &k, 1);
	took = t_burst(f.b, f.it, 20);
	t_end(&f);
	for (i = 0; i < k.items; i++)
		assert_int_equal(atomic_load(&f.it[i].processed), 1);
	assert_true(took < 1.5);
}

/* --- the idle callback --------------------------------------------------------- */

/* idle() calls i and i + 1 came about a second apart. */
static void t_idle_second_apart(t_ctx const *c, unsigned i)
{
	assert_true(c->idle_at[i + 1] - c->idle_at[i] >= 0.5);
	assert_true(c->idle_at[i + 1] - c->idle_at[i] < 2.5);
}

/*
 * Worker 0 calls idle() after each turn and, while it returns true, about
 * once a second with nothing queued; once it returns false, not again
 * until the next turn.
 */
static void test_idle(void **state)
{
	static t_case const k = {
		.cfg = {.batch_max = 8, .wait_us = 2000, .queue_max = 16, .by_rate = true},
		.ops = &t_ops_idle,
		.items = 1,
		.idle_true = 1};
	t_fix f;

	(void)state;
	t_begin(&f, &k, 1);
	/* Pending from the start: a first call within about a second, a second one after. */
	assert_true(t_wait_for(&f.c, &f.c.idle_calls, 2, 6));
	assert_true(f.c.idle_at[0] - f.c.created < 2.5);
	t_idle_second_apart(&f.c, 0);
	/* It said false: no more calls while nothing comes. */
	usleep(2500000);
	assert_int_equal(t_read(&f.c, &f.c.idle_calls), 2);
	/* A turn: called after it; it says true, so once more a second later. */
	pthread_mutex_lock(&f.c.lock);
	f.c.idle_true = 1;
	pthread_mutex_unlock(&f.c.lock);
	assert_true(hs_batch_submit(f.b, &f.it[0]));
	assert_true(t_wait_for(&f.c, &f.c.idle_calls, 3, 5));
	assert_true(t_wait_for(&f.c, &f.c.idle_calls, 4, 6));
	t_idle_second_apart(&f.c, 2);
	usleep(1500000);
	assert_int_equal(t_read(&f.c, &f.c.idle_calls), 4);
	t_end(&f);
	assert_int_equal(f.c.idle_foreign, 0);
	assert_true(f.c.worker0_known);
}

/* A test run with one worker, then with two (as the Access-Request batchers have). */
static unsigned const t_one = 1, t_two = 2;
#define T_ONE_WORKER(f)  T_RUN(f, "_1_worker", t_one)
#define T_TWO_WORKERS(f) T_RUN(f, "_2_workers", t_two)
#define T_RUN(f, suffix, w)                                                                        \
	((struct CMUnitTest){.name = #f suffix, .test_func = f, .initial_state = (void *)&w})
/* A load test by its row, t_NAME, run as test_NAME. */
#define T_LOAD(row)                                                                                \
	((struct CMUnitTest){                                                                      \
		.name = "test_" #row, .test_func = test_load, .initial_state = (void *)&t_##row})

int main(void)
{
	const struct CMUnitTest tests[] = {
		T_LOAD(load_one_worker),
		T_LOAD(load_two_workers_announce),
		T_LOAD(load_by_rate),
		cmocka_unit_test(test_batch_max),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_queue_max),
		T_ONE_WORKER(test_free_queued),
		T_TWO_WORKERS(test_free_queued),
		T_ONE_WORKER(test_free_while_gathering),
		T_TWO_WORKERS(test_free_while_gathering),
		T_ONE_WORKER(test_announce_gathers),
		T_TWO_WORKERS(test_announce_gathers),
		T_ONE_WORKER(test_announce_wait_bounded),
		T_TWO_WORKERS(test_announce_wait_bounded),
		T_ONE_WORKER(test_withdraw_releases),
		T_TWO_WORKERS(test_withdraw_releases),
		cmocka_unit_test(test_rate_lone_item),
		T_LOAD(rate_burst),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_rate_after_burst),
		cmocka_unit_test(test_rate_closed_loop),
	};

	/* A hang anywhere ends the run instead of holding the suite up. */
	alarm(600);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
