/*
 * The batching queue of rlm_hotspot (see hs_batch.h).
 *
 * The queue is an array in arrival order under b->lock; a submitter's slot
 * lives on its own stack and carries a semaphore, so that finishing a batch
 * wakes exactly its submitters.
 */
#include <freeradius/build.h>
#include <freeradius/radiusd.h>

#include "hs_batch.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct hs_batch_slot {
	void *item;
	sem_t done;
} hs_batch_slot;

typedef struct hs_batch_worker {
	hs_batch *b;
	unsigned no;
	pthread_t thread;
	bool started;
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
	hs_batch_worker *workers;
};

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
	return n;
}

static void *hs_batch_thread(void *arg)
{
	hs_batch_worker *w = arg;
	hs_batch *b = w->b;
	hs_batch_slot **taken = calloc(b->cfg.batch_max, sizeof(*taken));
	void **items = calloc(b->cfg.batch_max, sizeof(*items));
	unsigned n, i;

	if (!taken || !items)
		ERROR("rlm_hotspot (%s): out of memory; a batch worker stops", b->cfg.name);
	pthread_mutex_lock(&b->lock);
	while (taken && items) {
		hs_batch_wait(b, w->no);
		if (b->stop)
			break;
		hs_batch_gather(b);
		n = hs_batch_take(b, taken);
		pthread_mutex_unlock(&b->lock);
		for (i = 0; i < n; i++)
			items[i] = taken[i]->item;
		if (n)
			b->ops->process(b->ctx, w->no, items, n);
		for (i = 0; i < n; i++)
			sem_post(&taken[i]->done);
		if (w->no == 0 && b->ops->idle) {
			bool more = b->ops->idle(b->ctx);

			pthread_mutex_lock(&b->lock);
			b->idle_pending = more;
		} else {
			pthread_mutex_lock(&b->lock);
		}
	}
	pthread_mutex_unlock(&b->lock);
	free(taken);
	free(items);
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
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->arrived, &ca);
	pthread_condattr_destroy(&ca);
	b->queue = calloc(cfg->queue_max, sizeof(*b->queue));
	b->workers = calloc(cfg->workers, sizeof(*b->workers));
	if (!b->queue || !b->workers) {
		ERROR("rlm_hotspot (%s): out of memory", cfg->name);
		goto fail;
	}
	for (i = 0; i < cfg->workers; i++) {
		b->workers[i] = (hs_batch_worker){.b = b, .no = i};
		if (pthread_create(&b->workers[i].thread, NULL, hs_batch_thread, &b->workers[i]) !=
		    0) {
			ERROR("rlm_hotspot (%s): cannot start a batch worker", cfg->name);
			goto fail;
		}
		b->workers[i].started = true;
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
	for (i = 0; i < b->count; i++) {
		if (b->ops->abandon)
			b->ops->abandon(b->ctx, b->queue[i]->item);
		sem_post(&b->queue[i]->done);
	}
	b->count = 0;
	pthread_cond_destroy(&b->arrived);
	pthread_mutex_destroy(&b->lock);
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

	if (sem_init(&slot.done, 0, 0) != 0)
		return false;
	pthread_mutex_lock(&b->lock);
	if (b->coming)
		b->coming--;
	if (!b->stop && b->count < b->cfg.queue_max) {
		b->queue[b->count++] = &slot;
		queued = true;
	}
	/* Also when refused: a gathering worker may be waiting for this thread. */
	pthread_cond_signal(&b->arrived);
	pthread_mutex_unlock(&b->lock);
	while (queued && sem_wait(&slot.done) != 0 && errno == EINTR)
		;
	sem_destroy(&slot.done);
	return queued;
}
