/* SPDX-License-Identifier: ISC */
/*
 * throttle: the host's budget of failed authentications per client
 * address, so that guessing passwords cannot buy the broker's CPU (a
 * wrong password costs a whole yescrypt check, about 21 ms).
 *
 * Each address may fail `budget` times, and regains one failure every
 * window/budget seconds (a token bucket, kept as GCRA's single "theoretical
 * arrival time" per address: the time at which its bucket is full again).
 * An address whose next failure would overrun its budget is refused at
 * once, before any hashing, and told when to come back (Retry-After).
 * Refusals themselves cost nothing and do not extend the wait.
 *
 * Addresses: an IPv4 address, an IPv6 /64 (what one client usually holds;
 * an IPv4-mapped IPv6 address counts as its IPv4), or else the raw text
 * (a unix socket's "unix:"), all sharing the table through a keyed hash
 * (SipHash-2-4 under a random key of the file) so that no client can aim
 * its entries at another's.
 *
 * The table is one file of the state directory, OSB_THROTTLE_FILE, mapped
 * by every worker and CGI process of the host (mapfile.h): a header and
 * OSB_THROTTLE_SLOTS slots of two 64-bit words, each changed only by
 * compare-and-swap, so no process ever waits for another and a process
 * killed mid-update leaves nothing locked.  Word 0 is a 24-bit tag of the
 * address and its full time (40 bits of ms since the file's epoch); word 1
 * the same tag, the minute of the last log line about the address and the
 * refusals counted since.  An address lives in one group of
 * OSB_THROTTLE_PROBE slots: a slot whose time has passed holds nothing an
 * empty one would not (its bucket is full), so it is taken freely; when
 * every slot of the group is live, the one closest to full is taken.  So
 * the file never grows, and only more live guessers than slots (or than a
 * group) make the table forget the least spent of them.  Two processes
 * counting the same address at the same instant may lose one count; the
 * budget is approximate by at most the number of workers.
 *
 * Ownership: throttle_open() returns a handle the caller frees with
 * throttle_close().
 */
#ifndef OSB_THROTTLE_H
#define OSB_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define OSB_THROTTLE_FILE	"auth-throttle"
#define THROTTLE_MAGIC		"OSBTHRT\n"
#define THROTTLE_VERSION	1

struct throttle;

/* Map dir/OSB_THROTTLE_FILE (created or replaced as mapfile.h says) for a
 * budget of `budget` failures (>= 1) regained over window_s seconds.
 * NULL with a one-line reason in err. */
struct throttle *throttle_open(const char *dir, unsigned budget,
		    unsigned window_s, char *err, size_t errlen);
void		 throttle_close(struct throttle *);

/* Milliseconds since the epoch (CLOCK_REALTIME: the same for every process
 * of the host, and across restarts). */
uint64_t	 throttle_now(void);

/* 0 when addr may still fail; else the seconds (>= 1) until it may fail
 * once more, the Retry-After.  Reads only. */
unsigned	 throttle_wait(struct throttle *, const char *addr,
		    uint64_t now_ms);

/* Count one failed authentication of addr. */
void		 throttle_failed(struct throttle *, const char *addr,
		    uint64_t now_ms);

/* A request of addr refused for its budget: 1 when the caller should log
 * it (the first refusal of addr in this minute), with *refused the
 * refusals since the previous line, this one included; 0 otherwise. */
int		 throttle_refused(struct throttle *, const char *addr,
		    uint64_t now_ms, unsigned *refused);

/* SipHash-2-4 of buf under key (exported for its test vectors). */
uint64_t	 throttle_siphash(const uint64_t key[2], const void *buf,
		    size_t len);

#endif
