/* The workers' usage reports on the daemon-worker link (POST /internal/usage, link.h), into
 * the usage store. */
#pragma once

#include "link/link_server.h"
#include "store/task_store.h"
#include "usage/usage_store.h"

G_BEGIN_DECLS

typedef struct _CrUsageLink CrUsageLink;

CrUsageLink *cr_usage_link_register (CrLinkServer *link, CrTaskStore *tasks, CrUsageStore *usage);
void cr_usage_link_unregister (CrUsageLink *ul);

G_END_DECLS
