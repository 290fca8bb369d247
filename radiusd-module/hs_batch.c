/*
 * The batching queue of rlm_hotspot (see hs_batch.h).
 *
 * The queue is an array in arrival order under b->lock; a submitter's slot
 * lives on its own stack. Finishing a batch wakes its submitters with one
 * futex call, not one per submitter: woken one by one, each submitter
 * preempted the worker (FreeRADIUS pins all its threads to one CPU), two
 * context switches per item. Submitters sleep on one word, each on the bit
 * of the take its item is expected in, so a batch's wake leaves the
 * submitters queued for the next take asleep.
 */
#include "hs_batch.h"

#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef struct hs_batch_slot {
	void *item;
	uint32_t bit;  /* the take it is expected in, as a futex bitset */
	uint32_t done; /* set (release) once its outcome is in the item */
} hs_batch_slot;

typedef struct hs_batch_worker {
	hs_batch *b;
	unsigned no;
	pthread_t thread;
	bool started;
	/* The batch in hand, cfg.batch_max each, allocated with the queue. */
	hs_batch_slot **taken;
	void **items;
} hs_batch_worker;

struct hs_batch {
	hs_batch_config cfg;
	hs_batch_ops const *ops;
	void *ctx;
	pthread_mutex_t lock;
	pthread_cond_t arrived; /* workers wait for items */
	hs_batch_slot **queue;  /* cfg.queue_max, arrival order */
	unsigned count;
	unsigned coming; /* announced, not yet submitted */
	bool stop;
	bool idle_pending; /* ops->idle has work left */
	unsigned takes;    /* batches taken, ever (wraps harmlessly) */
	uint32_t finished; /* futex word: changes whenever a batch is finished */
	unsigned awaiting; /* submitters in hs_batch_await (atomic): free waits for them */
	/* Gathering by rate (cfg.by_rate). */
	unsigned want; /* a gathering worker waits for this many items; 0: none does */
	unsigned cap;  /* a batch waits for at most this many (see hs_batch_rate_take) */
	unsigned long arrivals, arrivals_seen; /* items queued ever, and at the last take */
	struct timespec last_take;
	double rate; /* items per microsecond, smoothed over about HS_RATE_TAU_US */
	hs_batch_worker *workers;
};

#define HS_RATE_TAU_US   100000.0
#define HS_GAP_INTERVALS 4.0 /* a batch stops gathering after this many silent intervals */
#define HS_GAP_MIN_US    100.0

static void hs_deadline(struct timespec *when, long usec)
{
	clock_gettime(CLOCK_MONOTONIC, when);
	when->tv_sec += usec / 1000000L;
	when->tv_nsec += (usec % 1000000L) * 1000L;
	if (when->tv_nsec >= 1000000000L) {
		when->tv_sec++;
		when->tv_nsec -= 1000000000L;
	}
}

static bool hs_ts_before(struct timespec const *x, struct timespec const *y)
{
	return x->tv_sec < y->tv_sec || (x->tv_sec == y->tv_sec && x->tv_nsec < y->tv_nsec);
}

static long hs_futex(uint32_t *word, int op, uint32_t val, uint32_t bits)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, bits);
}

/*
 * Marks the n slots done and wakes their submitters in one call. A slot
 * belongs to its submitter's stack again once marked: read everything first.
 */
static void hs_batch_finish(hs_batch *b, hs_batch_slot **slots, unsigned n)
{
	uint32_t bits = 0;
	unsigned i;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		bits |= slots[i]->bit;
	for (i = 0; i < n; i++)
		__atomic_store_n(&slots[i]->done, 1, __ATOMIC_RELEASE);
	/* A submitter between its check and its sleep then finds the word changed. */
	__atomic_add_fetch(&b->finished, 1, __ATOMIC_RELEASE);
	(void)hs_futex(&b->finished, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, INT_MAX, bits);
}

/* Sleeps until the slot is done (spurious wake-ups are re-checked). */
static void hs_batch_await(hs_batch *b, hs_batch_slot *slot)
{
	for (;;) {
		uint32_t seen = __atomic_load_n(&b->finished, __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&slot->done, __ATOMIC_ACQUIRE))
			return;
		(void)hs_futex(&b->finished, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, seen,
			       slot->bit);
	}
}

/* Waits for items, or a second when worker 0 has idle work. Lock held. */
static void hs_batch_wait(hs_batch *b, unsigned no)
{
	struct timespec when;

	if (b->count || b->stop)
		return;
	if (no != 0 || !b->idle_pending) {
		pthread_cond_wait(&b->arrived, &b->lock);
		return;
	}
	hs_deadline(&when, 1000000L);
	(void)pthread_cond_timedwait(&b->arrived, &b->lock, &when);
}

/*
 * Lets a batch fill up while announced threads have yet to submit, for at
 * most wait_us. No other thread can add to it: every one that could is
 * either in the queue, waiting for it, or busy elsewhere. Lock held.
 */
static void hs_batch_gather(hs_batch *b)
{
	struct timespec when;

	if (!b->count || b->count >= b->cfg.batch_max || !b->cfg.wait_us || !b->coming)
		return;
	hs_deadline(&when, (long)b->cfg.wait_us);
	while (b->count < b->cfg.batch_max && b->coming && !b->stop) {
		if (pthread_cond_timedwait(&b->arrived, &b->lock, &when) != 0)
			break;
	}
}

static double hs_since_us(struct timespec const *now, struct timespec const *then)
{
	return (double)(now->tv_sec - then->tv_sec) * 1e6 +
	       (double)(now->tv_nsec - then->tv_nsec) / 1e3;
}

/*
 * The arrival rate as of now: what arrived since the last take over the
 * time since, blended into the smoothed rate with a weight that grows with
 * that time, so that a burst long past does not make a lone item wait.
 * Lock held.
 */
static double hs_batch_rate_now(hs_batch const *b, struct timespec const *now)
{
	double dt = hs_since_us(now, &b->last_take), w;

	if (dt <= 0)
		return b->rate;
	w = 1 - exp(-dt / HS_RATE_TAU_US);
	return (1 - w) * b->rate + w * (double)(b->arrivals - b->arrivals_seen) / dt;
}

/*
 * By rate: waits until the batch holds the items that arrive in wait_us at
 * the current rate, at most cap of them, and stops as soon as no item came
 * for a few of the intervals the rate predicts: the load has ebbed, or the
 * threads that were submitting are busy elsewhere. Never past wait_us.
 * Submitters wake the worker once the batch is full enough
 * (hs_batch_submit), so the worker wakes only for that or its own
 * timeouts. Returns whether the batch stopped short. Lock held.
 */
static bool hs_batch_gather_rate(hs_batch *b)
{
	struct timespec now, deadline, until;
	double rate, expect, gap;
	unsigned target, seen;

	if (!b->count)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	rate = hs_batch_rate_now(b, &now);
	expect = rate * b->cfg.wait_us;
	target = expect >= b->cap ? b->cap : (unsigned)expect;
	if (b->count >= target)
		return false;
	gap = HS_GAP_INTERVALS / rate;
	if (gap < HS_GAP_MIN_US)
		gap = HS_GAP_MIN_US;
	hs_deadline(&deadline, (long)b->cfg.wait_us);
	b->want = target;
	while (b->count < b->want && !b->stop) {
		seen = b->count;
		hs_deadline(&until, (long)gap);
		if (hs_ts_before(&deadline, &until))
			until = deadline;
		(void)pthread_cond_timedwait(&b->arrived, &b->lock, &until);
		/* Nothing came for a gap, or the wait ran to wait_us. */
		if (b->count == seen || !hs_ts_before(&until, &deadline))
			break;
	}
	b->want = 0;
	return b->count < target;
}

/*
 * At a take of n items: the rate becomes the current one, and cap follows
 * what the submitters can give, as TCP's window does: a batch that stopped
 * short sets it to what came, so that a few threads submitting one after
 * the other are not kept waiting for company that cannot come; one that
 * did not lets the next wait for one more. Lock held.
 */
static void hs_batch_rate_take(hs_batch *b, unsigned n, bool fell_short)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	b->rate = hs_batch_rate_now(b, &now);
	b->arrivals_seen = b->arrivals;
	b->last_take = now;
	if (fell_short)
		b->cap = n;
	else if (n + 1 > b->cap)
		b->cap = n + 1;
	if (b->cap > b->cfg.batch_max)
		b->cap = b->cfg.batch_max;
	if (b->cap < 1)
		b->cap = 1;
}

/* Whether item conflicts with one of the n taken. */
static bool hs_batch_conflicts(hs_batch const *b, hs_batch_slot *const *taken, unsigned n,
			       void const *item)
{
	unsigned i;

	if (!b->ops->conflict)
		return false;
	for (i = 0; i < n; i++)
		if (b->ops->conflict(taken[i]->item, item))
			return true;
	return false;
}

/* Takes up to batch_max items that do not conflict; the rest keep their order. Lock held. */
static unsigned hs_batch_take(hs_batch *b, hs_batch_slot **taken)
{
	unsigned n = 0, kept = 0, i;

	for (i = 0; i < b->count; i++) {
		hs_batch_slot *s = b->queue[i];

		if (n < b->cfg.batch_max && !hs_batch_conflicts(b, taken, n, s->item))
			taken[n++] = s;
		else
			b->queue[kept++] = s;
	}
	b->count = kept;
	b->takes++;
	return n;
}

static void *hs_batch_thread(void *arg)
{
	hs_batch_worker *w = arg;
	hs_batch *b = w->b;
	hs_batch_slot **taken = w->taken;
	void **items = w->items;
	bool fell_short = false;
	unsigned n, i;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		hs_batch_wait(b, w->no);
		if (b->stop)
			break;
		if (b->cfg.by_rate) {
			fell_short = hs_batch_gather_rate(b);
		} else {
			hs_batch_gather(b);
		}
		/* Stopped while gathering: what is queued is abandoned, not taken. */
		if (b->stop)
			break;
		n = hs_batch_take(b, taken);
		if (b->cfg.by_rate)
			hs_batch_rate_take(b, n, fell_short);
		/* Left over (a full batch, or conflicts): another idle worker may take them now. */
		if (b->count)
			pthread_cond_signal(&b->arrived);
		pthread_mutex_unlock(&b->lock);
		for (i = 0; i < n; i++)
			items[i] = taken[i]->item;
		if (n)
			b->ops->process(b->ctx, w->no, items, n);
		hs_batch_finish(b, taken, n);
		if (w->no == 0 && b->ops->idle) {
			bool more = b->ops->idle(b->ctx);

			pthread_mutex_lock(&b->lock);
			b->idle_pending = more;
		} else {
			pthread_mutex_lock(&b->lock);
		}
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

hs_batch *hs_batch_create(hs_batch_config const *cfg, hs_batch_ops const *ops, void *ctx)
{
	hs_batch *b = calloc(1, sizeof(*b));
	pthread_condattr_t ca;
	unsigned i;

	if (!b)
		return NULL;
	b->cfg = *cfg;
	b->ops = ops;
	b->ctx = ctx;
	b->idle_pending = ops->idle != NULL;
	clock_gettime(CLOCK_MONOTONIC, &b->last_take);
	b->cap = 1;
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->arrived, &ca);
	pthread_condattr_destroy(&ca);
	b->queue = calloc(cfg->queue_max, sizeof(*b->queue));
	b->workers = calloc(cfg->workers, sizeof(*b->workers));
	if (!b->queue || !b->workers)
		goto fail;
	for (i = 0; i < cfg->workers; i++) {
		hs_batch_worker *w = &b->workers[i];

		*w = (hs_batch_worker){.b = b, .no = i};
		w->taken = calloc(cfg->batch_max, sizeof(*w->taken));
		w->items = calloc(cfg->batch_max, sizeof(*w->items));
		if (!w->taken || !w->items ||
		    pthread_create(&w->thread, NULL, hs_batch_thread, w) != 0)
			goto fail;
		w->started = true;
	}
	return b;
fail:
	hs_batch_free(b);
	return NULL;
}

void hs_batch_free(hs_batch *b)
{
	unsigned i;

	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->stop = true;
	pthread_cond_broadcast(&b->arrived);
	pthread_mutex_unlock(&b->lock);
	for (i = 0; b->workers && i < b->cfg.workers; i++)
		if (b->workers[i].started)
			pthread_join(b->workers[i].thread, NULL);
	/* No worker left: what is queued will never be processed. */
	for (i = 0; b->ops->abandon && i < b->count; i++)
		b->ops->abandon(b->ctx, b->queue[i]->item);
	hs_batch_finish(b, b->queue, b->count);
	b->count = 0;
	/* Woken submitters still read the futex word in b: let them leave first. */
	while (__atomic_load_n(&b->awaiting, __ATOMIC_ACQUIRE))
		sched_yield();
	pthread_cond_destroy(&b->arrived);
	pthread_mutex_destroy(&b->lock);
	for (i = 0; b->workers && i < b->cfg.workers; i++) {
		free(b->workers[i].taken);
		free(b->workers[i].items);
	}
	free(b->queue);
	free(b->workers);
	free(b);
}

void hs_batch_announce(hs_batch *b)
{
	pthread_mutex_lock(&b->lock);
	b->coming++;
	pthread_mutex_unlock(&b->lock);
}

void hs_batch_withdraw(hs_batch *b)
{
	pthread_mutex_lock(&b->lock);
	if (b->coming)
		b->coming--;
	pthread_cond_signal(&b->arrived);
	pthread_mutex_unlock(&b->lock);
}

bool hs_batch_submit(hs_batch *b, void *item)
{
	hs_batch_slot slot = {.item = item};
	bool queued = false;

	pthread_mutex_lock(&b->lock);
	/* Most often taken by the next take; if not, a later wake may rouse it in vain. */
	slot.bit = 1u << (b->takes % 32);
	if (b->coming)
		b->coming--;
	if (!b->stop && b->count < b->cfg.queue_max) {
		b->queue[b->count++] = &slot;
		b->arrivals++;
		__atomic_add_fetch(&b->awaiting, 1, __ATOMIC_RELAXED);
		queued = true;
	}
	/*
	 * Also when refused: a gathering worker may be waiting for this thread.
	 * A worker gathering by rate is woken only once the batch is full enough.
	 */
	if (!b->want || b->count >= b->want)
		pthread_cond_signal(&b->arrived);
	pthread_mutex_unlock(&b->lock);
	if (queued) {
		hs_batch_await(b, &slot);
		/* The last touch of b: hs_batch_free may free it from here on. */
		__atomic_sub_fetch(&b->awaiting, 1, __ATOMIC_RELEASE);
	}
	return queued;
}
