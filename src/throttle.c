/* SPDX-License-Identifier: ISC */
/*
 * throttle: see throttle.h.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limits.h"
#include "mapfile.h"
#include "throttle.h"
#include "util.h"

struct header {
	char		magic[8];
	uint32_t	version;
	uint32_t	nslots;		/* magic to here: what the file is */
	uint64_t	epoch_ms;	/* times are kept from here */
	uint64_t	key[2];		/* SipHash key, random per file */
	uint64_t	reserved[3];	/* slots start 64 bytes in */
};

struct slot {
	uint64_t	w0;		/* tag:24 | full time:40 (ms) */
	uint64_t	w1;		/* tag:24 | minute:24 | refused:16 */
};

#define ID_LEN		offsetof(struct header, epoch_ms)
#define FILE_SIZE	(sizeof(struct header) + \
			 OSB_THROTTLE_SLOTS * sizeof(struct slot))
#define TIME_BITS	40
#define TIME_MASK	((UINT64_C(1) << TIME_BITS) - 1)
#define TAG(w)		((w) >> TIME_BITS)
#define TAT(w)		((w) & TIME_MASK)
#define MIN_BITS	24
#define MIN_MASK	((UINT64_C(1) << MIN_BITS) - 1)
#define CNT_MASK	UINT64_C(0xffff)

_Static_assert((OSB_THROTTLE_SLOTS & (OSB_THROTTLE_SLOTS - 1)) == 0,
    "OSB_THROTTLE_SLOTS is a power of two");
_Static_assert(sizeof(struct header) == 64, "the header is 64 bytes");

struct throttle {
	struct header	*map;
	struct slot	*slots;
	uint64_t	 window;	/* ms */
	uint64_t	 interval;	/* ms regained per failure: window/budget */
	uint64_t	 tolerance;	/* window - interval */
};

/* ---- SipHash-2-4 (Aumasson and Bernstein, 2012) ---- */

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

static void
sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static uint64_t
le64(const unsigned char *p, size_t n)
{
	uint64_t	m = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		m |= (uint64_t)p[i] << (8 * i);
	return m;
}

uint64_t
throttle_siphash(const uint64_t key[2], const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	uint64_t		 v[4], m;
	size_t			 i, left = len;

	v[0] = key[0] ^ UINT64_C(0x736f6d6570736575);
	v[1] = key[1] ^ UINT64_C(0x646f72616e646f6d);
	v[2] = key[0] ^ UINT64_C(0x6c7967656e657261);
	v[3] = key[1] ^ UINT64_C(0x7465646279746573);
	for (; left >= 8; p += 8, left -= 8) {
		m = le64(p, 8);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	m = le64(p, left) | (uint64_t)(len & 0xff) << 56;
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- the file ---- */

struct throttle *
throttle_open(const char *dir, unsigned budget, unsigned window_s,
    char *err, size_t errlen)
{
	struct throttle	*t;
	struct header	 h;

	if (budget == 0 || window_s == 0) {
		snprintf(err, errlen, "a budget of %u failures in %u s",
		    budget, window_s);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, THROTTLE_MAGIC, sizeof(h.magic));
	h.version = THROTTLE_VERSION;
	h.nslots = OSB_THROTTLE_SLOTS;
	h.epoch_ms = throttle_now();
	if (util_random_bytes(h.key, sizeof(h.key)) == -1) {
		snprintf(err, errlen, "no random bytes for the table's key");
		free(t);
		return NULL;
	}
	t->map = mapfile_open(dir, OSB_THROTTLE_FILE, FILE_SIZE, &h,
	    sizeof(h), ID_LEN, err, errlen);
	explicit_bzero(&h, sizeof(h));
	if (t->map == NULL) {
		free(t);
		return NULL;
	}
	t->slots = (struct slot *)(t->map + 1);
	t->window = (uint64_t)window_s * 1000;
	t->interval = t->window / budget;
	if (t->interval == 0)
		t->interval = 1;
	t->tolerance = t->window - t->interval;
	return t;
}

void
throttle_close(struct throttle *t)
{
	if (t == NULL)
		return;
	mapfile_close(t->map, FILE_SIZE);
	free(t);
}

uint64_t
throttle_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- addresses ---- */

/* addr's hash: a kind byte, then the bytes that name the client. */
static uint64_t
addr_hash(const struct throttle *t, const char *addr)
{
	unsigned char	 buf[1 + OSB_THROTTLE_MAX_ADDR];
	size_t		 n;
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	unsigned char	 a6[16];

	if (addr == NULL)
		addr = "";
	if (inet_pton(AF_INET, addr, buf + 1) == 1) {
		buf[0] = 4;
		n = 1 + 4;
	} else if (inet_pton(AF_INET6, addr, a6) == 1) {
		if (memcmp(a6, mapped, sizeof(mapped)) == 0) {
			buf[0] = 4;
			memcpy(buf + 1, a6 + 12, 4);
			n = 1 + 4;
		} else {
			buf[0] = 6;
			memcpy(buf + 1, a6, 8);		/* the /64 */
			n = 1 + 8;
		}
	} else {
		buf[0] = 0;
		n = strnlen(addr, OSB_THROTTLE_MAX_ADDR);
		memcpy(buf + 1, addr, n);
		n++;
	}
	return throttle_siphash(t->map->key, buf, n);
}

static uint64_t
tag_of(uint64_t h)
{
	uint64_t tag = h & 0xffffff;

	return tag != 0 ? tag : 1;	/* 0 is an empty slot */
}

static struct slot *
group_slot(const struct throttle *t, uint64_t h, unsigned i)
{
	return &t->slots[((h >> 32) + i) & (OSB_THROTTLE_SLOTS - 1)];
}

/* Now in the file's time; 0 before its epoch (a clock set back). */
static uint64_t
rel(const struct throttle *t, uint64_t now_ms)
{
	uint64_t e = t->map->epoch_ms;

	return now_ms > e ? (now_ms - e) & TIME_MASK : 0;
}

static struct slot *
find(const struct throttle *t, uint64_t h, uint64_t tag, uint64_t *w0)
{
	struct slot	*s;
	unsigned	 i;

	for (i = 0; i < OSB_THROTTLE_PROBE; i++) {
		s = group_slot(t, h, i);
		*w0 = __atomic_load_n(&s->w0, __ATOMIC_ACQUIRE);
		if (TAG(*w0) == tag)
			return s;
	}
	return NULL;
}

unsigned
throttle_wait(struct throttle *t, const char *addr, uint64_t now_ms)
{
	uint64_t	 h, w, now, late;

	if (t == NULL)
		return 0;
	h = addr_hash(t, addr);
	now = rel(t, now_ms);
	if (find(t, h, tag_of(h), &w) == NULL || TAT(w) <= now + t->tolerance)
		return 0;
	late = TAT(w) - now - t->tolerance;
	if (late > t->window)		/* the clock was set back */
		late = t->window;
	return (unsigned)((late + 999) / 1000);
}

void
throttle_failed(struct throttle *t, const char *addr, uint64_t now_ms)
{
	struct slot	*s, *victim;
	uint64_t	 h, tag, now, w, seen = 0, tat, best;
	unsigned	 i, tries;

	if (t == NULL)
		return;
	h = addr_hash(t, addr);
	tag = tag_of(h);
	now = rel(t, now_ms);
	for (tries = 0; tries < 16; tries++) {
		if ((s = find(t, h, tag, &w)) != NULL) {
			tat = TAT(w) > now ? TAT(w) : now;
			if (tat > now + t->window)	/* clock set back */
				tat = now + t->window;
			if (__atomic_compare_exchange_n(&s->w0, &w,
			    tag << TIME_BITS | ((tat + t->interval) & TIME_MASK),
			    0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return;
			continue;	/* changed meanwhile: look again */
		}
		/* New here: an empty or spent slot of the group, else the
		 * one closest to full. */
		victim = NULL;
		best = UINT64_MAX;
		for (i = 0; i < OSB_THROTTLE_PROBE; i++) {
			s = group_slot(t, h, i);
			w = __atomic_load_n(&s->w0, __ATOMIC_ACQUIRE);
			if (w == 0 || TAT(w) <= now) {
				victim = s;
				seen = w;
				break;
			}
			if (TAT(w) < best) {
				best = TAT(w);
				victim = s;
				seen = w;
			}
		}
		if (__atomic_compare_exchange_n(&victim->w0, &seen,
		    tag << TIME_BITS | ((now + t->interval) & TIME_MASK), 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return;
	}
	/* Lost the race 16 times in a row: this one failure goes uncounted. */
}

int
throttle_refused(struct throttle *t, const char *addr, uint64_t now_ms,
    unsigned *refused)
{
	struct slot	*s;
	uint64_t	 h, tag, w, w1, minute, n, next;

	*refused = 1;
	if (t == NULL)
		return 1;
	h = addr_hash(t, addr);
	tag = tag_of(h);
	if ((s = find(t, h, tag, &w)) == NULL)
		return 1;	/* forgotten meanwhile: say it */
	/* The clock's minute (not one counted from the file's epoch): a
	 * log line per address in each minute as the log's times show it. */
	minute = (now_ms / 60000) & MIN_MASK;
	w1 = __atomic_load_n(&s->w1, __ATOMIC_ACQUIRE);
	for (;;) {
		if (TAG(w1) == tag && (w1 >> 16 & MIN_MASK) == minute) {
			n = (w1 & CNT_MASK) < CNT_MASK ? (w1 & CNT_MASK) + 1 :
			    CNT_MASK;
			next = (w1 & ~CNT_MASK) | n;
			if (__atomic_compare_exchange_n(&s->w1, &w1, next, 0,
			    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return 0;
			continue;
		}
		/* The count held the last line's refusal and those after
		 * it: those after it, and this one. */
		next = tag << TIME_BITS | minute << 16 | 1;
		n = TAG(w1) == tag && (w1 & CNT_MASK) > 0 ? w1 & CNT_MASK : 1;
		if (__atomic_compare_exchange_n(&s->w1, &w1, next, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			*refused = (unsigned)n;
			return 1;
		}
	}
}
