/*
 * What the vouchers API asks of the payments module: the refund at the
 * gateway of a voucher that was paid online.
 */
#ifndef HS_API_PAYMENTS_H
#define HS_API_PAYMENTS_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "api/http.h"

/*
 * In conn's tenant transaction, after the voucher voucher_id was marked
 * refunded (its refund_minor set): when a succeeded Stripe or Flutterwave
 * payment paid for it, refunds refund_minor at the gateway (idempotent per
 * transaction at the gateway) and marks the payment refunded.  true when
 * there was nothing to refund or the gateway refunded (*info receives
 * {payment_id, gateway, refund_ref} or NULL; caller frees); false with the
 * answer given (502 when the gateway refused or did not answer, 503 when
 * it is not configured): the caller rolls back, and the voucher stays as
 * it was.
 */
bool api_payments_refund_voucher(api_req *req, PGconn *conn, const char *voucher_id, json_t **info);

#endif
