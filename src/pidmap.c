/*
 * A pid hash table.  The load factor stays at or below one half, so probe
 * sequences are short; deletion shifts later entries back rather than
 * leaving tombstones, so the table never degrades over millions of spawns.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pidmap.h"

static size_t
slot_of(const struct pidmap *m, pid_t pid)
{
	/* Fibonacci hashing spreads consecutive pids over the table. */
	return (size_t)(((uint32_t)pid * UINT32_C(2654435769)) >> 7) & (m->cap - 1);
}

static int
grow(struct pidmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct pidmap_slot *old = m->slots, *slots;
	size_t oldcap = m->cap;

	slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -1;
	m->slots = slots;
	m->cap = cap;
	m->n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].pid != 0)
			(void)pidmap_put(m, old[i].pid, old[i].kind, old[i].owner);
	free(old);
	return 0;
}

int
pidmap_put(struct pidmap *m, pid_t pid, enum pid_kind kind, void *owner)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap && grow(m) == -1)
		return -1;
	for (i = slot_of(m, pid); m->slots[i].pid != 0 && m->slots[i].pid != pid;
	    i = (i + 1) & (m->cap - 1))
		;
	if (m->slots[i].pid == 0)
		m->n++;
	m->slots[i].pid = pid;
	m->slots[i].kind = kind;
	m->slots[i].owner = owner;
	return 0;
}

enum pid_kind
pidmap_get(const struct pidmap *m, pid_t pid, void **owner)
{
	if (m->cap == 0)
		return PID_NONE;
	for (size_t i = slot_of(m, pid); m->slots[i].pid != 0;
	    i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].pid == pid) {
			if (owner != NULL)
				*owner = m->slots[i].owner;
			return m->slots[i].kind;
		}
	}
	return PID_NONE;
}

void
pidmap_del(struct pidmap *m, pid_t pid)
{
	size_t i, j, mask = m->cap - 1;

	if (m->cap == 0)
		return;
	for (i = slot_of(m, pid); m->slots[i].pid != pid; i = (i + 1) & mask)
		if (m->slots[i].pid == 0)
			return;
	/* Move back every later entry of the run that may sit past its home. */
	for (j = (i + 1) & mask; m->slots[j].pid != 0; j = (j + 1) & mask) {
		size_t home = slot_of(m, m->slots[j].pid);

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].pid = 0;
	m->slots[i].owner = NULL;
	m->n--;
}

void
pidmap_free(struct pidmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
