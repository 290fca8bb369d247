/*
 * A batching queue for rlm_hotspot: request threads submit items and wait;
 * worker threads take the items that arrived together and process them in
 * one go (one SQL call, one commit), then wake each submitter. Used by the
 * Access-Request batcher (hs_auth.h) and the accounting writer (hs_acct.h).
 *
 * How a batch gathers company, for at most wait_us after its first item:
 * - by announce: a request thread that is about to submit announces itself
 *   first (hs_batch_announce), and the batch waits for announced threads
 *   only; a batch that none can still join is taken at once;
 * - by rate (cfg.by_rate): the batch waits until it holds as many items as
 *   arrive in wait_us at the current arrival rate, stopping early when
 *   items stop coming, and never for more than one item beyond what the
 *   last batch got unless that one filled up (every submitter blocks on its
 *   item, so waiting for more than can come only adds delay); under light
 *   load that is one item, so nothing waits. Submitters wake the worker
 *   only once the batch is full enough, not once per item.
 */
#ifndef HS_BATCH_H
#define HS_BATCH_H

#include <stdbool.h>

typedef struct hs_batch_ops {
	/*
	 * Processes n items (n >= 1) in worker thread number worker (0-based);
	 * called without any lock held. Sets each item's outcome in the item.
	 */
	void (*process)(void *ctx, unsigned worker, void **items, unsigned n);
	/*
	 * Optional: called by worker 0 after each turn and, while it returns
	 * true, at least once a second even with nothing queued (background
	 * work such as replaying a spool). Called without any lock held.
	 */
	bool (*idle)(void *ctx);
	/*
	 * Optional: whether a and b may not be in one batch; the later one then
	 * waits for a following batch, keeping its place in line.
	 */
	bool (*conflict)(void const *a, void const *b);
	/* Sets the outcome of an item that will never be processed (stopping). */
	void (*abandon)(void *ctx, void *item);
} hs_batch_ops;

typedef struct hs_batch_config {
	char const *name;   /* for messages */
	unsigned workers;   /* threads taking batches */
	unsigned batch_max; /* items per batch */
	unsigned wait_us;   /* how long a batch waits at most for announced company */
	unsigned queue_max; /* items waiting at most; more are refused */
	bool by_rate;       /* gather by the arrival rate instead of by announce */
} hs_batch_config;

typedef struct hs_batch hs_batch;

/*
 * Starts the workers. ops and ctx must outlive the queue. Returns NULL on
 * failure (out of memory, or a thread that cannot start); the caller logs.
 */
hs_batch *hs_batch_create(hs_batch_config const *cfg, hs_batch_ops const *ops, void *ctx)
	__attribute__((warn_unused_result, nonnull));

/*
 * Abandons what is still queued (ops->abandon), waits for the batches in
 * progress, stops the workers and frees the queue. NULL is a no-op.
 */
void hs_batch_free(hs_batch *b);

/* Announces a coming hs_batch_submit from this thread (see above). */
void hs_batch_announce(hs_batch *b) __attribute__((nonnull));

/* Takes back an announce that will not be followed by a submit. */
void hs_batch_withdraw(hs_batch *b) __attribute__((nonnull));

/*
 * Queues item and blocks until a worker has processed it, or the queue
 * stopped and ops->abandon set its outcome: true. false when the queue is
 * full or stopping: the item was not queued. Ends an hs_batch_announce
 * either way.
 */
bool hs_batch_submit(hs_batch *b, void *item) __attribute__((nonnull));

#endif
