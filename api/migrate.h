/*
 * hotspotd migrate: applies MIGRATIONS_DIR/NNNN_name.sql in order, as the
 * owner role, each file in its own transaction, recording version, name
 * and sha256 in schema_migrations.  Refuses to run when an applied file
 * changed or went missing.  A session advisory lock keeps two migrates
 * from interleaving.
 */
#ifndef HS_API_MIGRATE_H
#define HS_API_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

/*
 * Applies the pending migrations (status_only: lists applied and pending
 * and applies nothing).  Prints what it did on stdout, errors on stderr.
 * Returns the process exit status: 0 on success, 1 on any failure.
 */
int api_migrate(const hs_config *cfg, bool status_only);

/* Whether name is a migration file name: ^[0-9]{4}_[a-z0-9_]+\.sql$ */
bool api_migrate_name_valid(const char *name);

/*
 * The 1-based line of text holding the character at the 1-based position
 * pos (in characters, as PostgreSQL counts them in UTF-8); 0 when pos is
 * out of range.
 */
int api_migrate_line_of(const char *text, long pos);

#endif
