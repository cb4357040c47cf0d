// libpq (Debian libpq-dev), the PostgreSQL client library, for the cluster storage backend (Sources/ChatStorage/Postgres).
#ifndef CHATD_PQ_SHIM_H
#define CHATD_PQ_SHIM_H
#include <libpq-fe.h>
#endif
