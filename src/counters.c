/* SPDX-License-Identifier: ISC */
/*
 * counters: see counters.h.
 */
#include <string.h>

#include "counters.h"
#include "mapfile.h"

struct header {
	char		magic[8];
	uint32_t	version;
	uint32_t	nslots;
	uint64_t	reserved[7];	/* slots start 64 bytes in */
};

#define FILE_SIZE	(sizeof(struct header) + COUNTERS_NSLOTS * sizeof(uint64_t))

const int counters_statuses[COUNTERS_STATUSES] = {
	200, 201, 202, 304, 400, 401, 404, 405, 409, 410, 412, 413, 422, 500,
	502, 503, 0
};

/* 1 ms to 10 s: a catalog answer is well under a millisecond, a
 * synchronous hook may take the request timeout. */
const uint32_t counters_bucket_us[COUNTERS_BUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 10000000
};

static void	*map;		/* the whole file, or NULL */
static uint64_t	*slots;		/* into map */

static void
image(struct header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, COUNTERS_MAGIC, sizeof(h->magic));
	h->version = COUNTERS_VERSION;
	h->nslots = COUNTERS_NSLOTS;
}

int
counters_open(const char *dir, char *err, size_t errlen)
{
	struct header	 h;

	counters_close();
	image(&h);
	if ((map = mapfile_open(dir, OSB_COUNTERS_FILE, FILE_SIZE, &h,
	    sizeof(h), sizeof(h), err, errlen)) == NULL)
		return -1;
	slots = (uint64_t *)((char *)map + sizeof(struct header));
	return 0;
}

void
counters_close(void)
{
	mapfile_close(map, FILE_SIZE);
	map = NULL;
	slots = NULL;
}

int
counters_ready(void)
{
	return map != NULL;
}

void
counters_add(unsigned slot, uint64_t n)
{
	if (slots != NULL && slot < COUNTERS_NSLOTS)
		__atomic_fetch_add(&slots[slot], n, __ATOMIC_RELAXED);
}

uint64_t
counters_get(unsigned slot)
{
	if (slots == NULL || slot >= COUNTERS_NSLOTS)
		return 0;
	return __atomic_load_n(&slots[slot], __ATOMIC_RELAXED);
}

unsigned
counters_req_slot(unsigned endpoint, unsigned status_index)
{
	if (endpoint >= COUNTERS_ENDPOINTS || status_index >= COUNTERS_STATUSES)
		return COUNTERS_NSLOTS;		/* counts nowhere */
	return COUNTERS_REQ_BASE + endpoint * COUNTERS_STATUSES + status_index;
}

unsigned
counters_hist_slot(unsigned endpoint, unsigned i)
{
	if (endpoint >= COUNTERS_ENDPOINTS || i >= COUNTERS_HIST_WIDTH)
		return COUNTERS_NSLOTS;
	return COUNTERS_HIST_BASE + endpoint * COUNTERS_HIST_WIDTH + i;
}

void
counters_request(unsigned endpoint, int status, uint64_t usec)
{
	unsigned i, b;

	if (slots == NULL)
		return;
	for (i = 0; i < COUNTERS_STATUSES - 1; i++)
		if (counters_statuses[i] == status)
			break;
	counters_add(counters_req_slot(endpoint, i), 1);
	for (b = 0; b < COUNTERS_BUCKETS; b++)
		if (usec <= counters_bucket_us[b])
			break;
	counters_add(counters_hist_slot(endpoint, b), 1);
	counters_add(counters_hist_slot(endpoint, COUNTERS_BUCKETS + 1), usec);
	counters_add(counters_hist_slot(endpoint, COUNTERS_BUCKETS + 2), 1);
}
