/*
 * The service state machine.  No syscalls here: see lifecycle.c.
 *
 * Each cell of transitions[][] names the next state and the action that
 * lifecycle.c performs on entering it; an empty cell means the event is
 * ignored in that state (and logged at debug level by the caller).  An
 * action may yield one follow-up event, which the caller dispatches in a
 * loop, so nothing here recurses.
 */
#include <stdio.h>
#include <sys/wait.h>

#include "service.h"
#include "values.h"

#define T(n, a)	{ SS_##n, SA_##a }

static const struct transition transitions[SS__COUNT][SE__COUNT] = {
	[SS_IDLE] = {
		[SE_START]	  = T(STARTING, SPAWN),
		[SE_STOP]	  = T(STOPPED, NONE),
		[SE_UNMET]	  = T(FAILED, NONE),
	},
	[SS_PREPARING] = {
		[SE_PREPARED]	  = T(STARTING, SPAWN_MAIN),
		[SE_PREP_FAILED]  = T(CLEANUP, CLEANUP),
		/* prepare_timeout, or the stop window the stop gave it. */
		[SE_TIMEOUT]	  = T(PREPARING, KILL_PREPARE),
		[SE_STOP]	  = T(PREPARING, STOP_PREPARE),
		[SE_HURRY]	  = T(PREPARING, KILL_PREPARE),
		[SE_DEADLINE]	  = T(PREPARING, KILL_PREPARE),
	},
	[SS_STARTING] = {
		[SE_PREPARING]	  = T(PREPARING, NONE),
		[SE_SPAWNED]	  = T(STARTING, EXECED),
		[SE_READY]	  = T(RUNNING, MARK_UP),
		[SE_TIMEOUT]	  = T(STOPPING, NOT_READY),
		[SE_SPAWN_FAILED] = T(CLEANUP, CLEANUP),
		[SE_EXITED]	  = T(STOPPING, STOP_LEFTOVERS),
		[SE_DOWN]	  = T(CLEANUP, CLEANUP),
		[SE_STOP]	  = T(STOPPING, STOP),
		/* Killed where it stands: its exit takes it on from there. */
		[SE_DEADLINE]	  = T(STARTING, DEADLINE),
		[SE_KILLED]	  = T(STARTING, NONE),
	},
	[SS_RUNNING] = {
		[SE_EXITED]	  = T(STOPPING, STOP_LEFTOVERS),
		[SE_DOWN]	  = T(CLEANUP, CLEANUP),
		[SE_STOP]	  = T(STOPPING, STOP),
		[SE_DEADLINE]	  = T(RUNNING, DEADLINE),
		[SE_KILLED]	  = T(RUNNING, NONE),
	},
	[SS_DELAYING] = {
		[SE_TIMEOUT]	  = T(STOPPING, SIGNAL),
		[SE_EXITED]	  = T(DELAYING, NONE),
		[SE_DOWN]	  = T(CLEANUP, CLEANUP),
		[SE_STOP]	  = T(DELAYING, NONE),
		[SE_HURRY]	  = T(DELAYING, HURRY),
		[SE_DEADLINE]	  = T(DELAYING, DEADLINE),
		[SE_KILLED]	  = T(KILLING, NONE),
	},
	[SS_STOPPING] = {
		[SE_DELAYED]	  = T(DELAYING, NONE),
		[SE_TIMEOUT]	  = T(STOPPING, WINDOW_OVER),
		[SE_KILLED]	  = T(KILLING, NONE),
		[SE_EMPTY]	  = T(DRAINING, DRAIN),
		[SE_EXITED]	  = T(STOPPING, NONE),
		[SE_DOWN]	  = T(CLEANUP, CLEANUP),
		/* A shutdown may hurry a stop already under way. */
		[SE_STOP]	  = T(STOPPING, NONE),
		[SE_HURRY]	  = T(STOPPING, HURRY),
		[SE_DEADLINE]	  = T(STOPPING, DEADLINE),
	},
	[SS_KILLING] = {
		[SE_TIMEOUT]	  = T(KILLING, RECHECK),
		[SE_EMPTY]	  = T(DRAINING, DRAIN),
		[SE_EXITED]	  = T(KILLING, NONE),
		[SE_DOWN]	  = T(CLEANUP, CLEANUP),
		[SE_STOP]	  = T(KILLING, NONE),
		[SE_DEADLINE]	  = T(KILLING, DEADLINE),
		[SE_KILLED]	  = T(KILLING, NONE),
	},
	[SS_DRAINING] = {
		/* Armed when a shutdown can wait no longer, or a reap may free it. */
		[SE_TIMEOUT]	  = T(DRAINING, DRAIN),
		[SE_DOWN]	  = T(CLEANUP, CLEANUP),
		[SE_STOP]	  = T(DRAINING, NONE),
		[SE_DEADLINE]	  = T(DRAINING, DEADLINE),
		[SE_KILLED]	  = T(DRAINING, NONE),
	},
	[SS_CLEANUP] = {
		[SE_CLEANED]	  = T(CLEANUP, DECIDE),
		[SE_RESTART]	  = T(STARTING, SPAWN),
		[SE_RETRY]	  = T(BACKOFF, ARM_BACKOFF),
		[SE_GIVE_UP]	  = T(FAILED, GIVE_UP),
		[SE_FINISH]	  = T(STOPPED, FINISH),
		[SE_COMPLETE]	  = T(DONE, COMPLETE),
		/* The one signal a hook ever gets (SPEC §5). */
		[SE_DEADLINE]	  = T(CLEANUP, KILL_HOOK),
	},
	[SS_STOPPED] = {
		[SE_START]	  = T(STARTING, SPAWN),
		[SE_UNMET]	  = T(FAILED, NONE),
	},
	[SS_BACKOFF] = {
		[SE_TIMEOUT]	  = T(STARTING, SPAWN),
		[SE_START]	  = T(STARTING, SPAWN),	/* operator: no more waiting */
		[SE_STOP]	  = T(STOPPED, CANCEL),
	},
	[SS_FAILED] = {
		[SE_START]	  = T(STARTING, SPAWN),	/* operator retry */
	},
	[SS_DONE] = {
		[SE_START]	  = T(STARTING, SPAWN),	/* run the oneshot again */
	},
};

#define AS_NAME(e, s) [SS_##e] = s,
static const char *const state_names[SS__COUNT] = {
	[SS_NONE] = "none", SVC_STATES(AS_NAME)
};
#undef AS_NAME
#define AS_NAME(e) [SE_##e] = #e,
static const char *const event_names[SE__COUNT] = {
	[SE_NONE] = "NONE", SVC_EVENTS(AS_NAME)
};
#undef AS_NAME
#define AS_NAME(e) [SA_##e] = #e,
static const char *const action_names[SA__COUNT] = { SVC_ACTIONS(AS_NAME) };
#undef AS_NAME
#define AS_NAME(e, s) [SR_##e] = s,
static const char *const reason_names[SR__COUNT] = { SVC_REASONS(AS_NAME) };
#undef AS_NAME

const struct transition *
service_transition(enum svc_state state, enum svc_event event)
{
	static const struct transition none = { SS_NONE, SA_NONE };

	if (state >= SS__COUNT || event >= SE__COUNT)
		return &none;
	return &transitions[state][event];
}

void
service_init(struct service *s, struct svc_conf *c)
{
	s->conf = c;
	s->state = SS_IDLE;
}

const struct transition *
service_step(struct service *s, enum svc_event event)
{
	const struct transition *t = service_transition(s->state, event);

	if (t->next != SS_NONE)
		s->state = t->next;
	return t;
}

const char *
service_state_name(enum svc_state state)
{
	return state < SS__COUNT ? state_names[state] : "?";
}

const char *
service_shown_state(const struct service *s)
{
	if (s->conf->disabled && (s->state == SS_IDLE ||
	    s->state == SS_STOPPED))
		return "disabled";
	return service_state_name(s->state);
}

const char *
service_event_name(enum svc_event event)
{
	return event < SE__COUNT ? event_names[event] : "?";
}

const char *
service_action_name(enum svc_action action)
{
	return action < SA__COUNT ? action_names[action] : "?";
}

const char *
service_reason_name(enum svc_reason reason)
{
	return reason < SR__COUNT ? reason_names[reason] : "?";
}

int
service_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

void
service_exit_var(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "CORRAL_EXIT_SIGNAL=%s",
		    signal_name(WTERMSIG(status)));
	else
		snprintf(buf, len, "CORRAL_EXIT_CODE=%d",
		    service_exit_code(status));
}

bool
service_status_expected(const struct service *s)
{
	int sig = s->conf->stop_signal;

	if (WIFEXITED(s->status)) {
		int code = WEXITSTATUS(s->status);

		if (exit_set_has(&s->conf->rare->success_codes, code))
			return true;
		/* What shells and the JVM exit with after signal N. */
		return s->sent_stop && code == 128 + sig;
	}
	return s->sent_stop && WIFSIGNALED(s->status) &&
	    WTERMSIG(s->status) == sig;
}

double
service_backoff(const struct svc_conf *c, unsigned failed)
{
	double d = c->restart_delay;

	/* d == 0 stays 0: without that test, the loop would run `failed` times. */
	for (unsigned i = 1; i < failed && d > 0 && d < c->restart_delay_max; i++)
		d *= 2;
	return d < c->restart_delay_max ? d : c->restart_delay_max;
}

/*
 * A oneshot runs to completion: its expected exit makes it done, any other
 * is a failed start, retried with back-off whatever its restart policy
 * (SPEC §14); start_seconds does not apply to it.
 */
static enum svc_event
decide_oneshot(struct service *s, bool success)
{
	s->failed_start = !success;
	if (success) {
		s->failed_starts = 0;
		return SE_COMPLETE;
	}
	if (++s->failed_starts >= s->conf->start_retries)
		return SE_GIVE_UP;
	return SE_RETRY;
}

enum svc_event
service_decide(struct service *s)
{
	const struct svc_conf *c = s->conf;
	bool success, restart;

	if (!s->want_up)
		return SE_FINISH;
	/*
	 * On its own, only a success code is success: a signal is a crash.
	 * A service corral stopped for its health never ended well.
	 */
	success = !s->spawn_failed && !s->prep_failed && WIFEXITED(s->status) &&
	    exit_set_has(&c->rare->success_codes, WEXITSTATUS(s->status)) &&
	    s->reason != SR_HEALTH && s->reason != SR_TIMEOUT;
	if (c->type == TYPE_ONESHOT)
		return decide_oneshot(s, success);
	s->failed_start = s->spawn_failed || s->not_ready || s->prep_failed ||
	    s->ended_at - s->started_at < c->start_seconds;
	restart = c->restart == RESTART_ALWAYS ||
	    (c->restart == RESTART_ON_FAILURE && !success);
	if (!restart) {
		s->failed_start = false;
		return SE_FINISH;
	}
	if (!s->failed_start) {
		s->failed_starts = 0;
		return SE_RESTART;
	}
	if (++s->failed_starts >= c->start_retries)
		return SE_GIVE_UP;
	return SE_RETRY;
}

bool
service_is_stopping(const struct service *s)
{
	return s->state == SS_DELAYING || s->state == SS_STOPPING ||
	    s->state == SS_KILLING || s->state == SS_DRAINING;
}

bool
service_is_live(const struct service *s)
{
	return s->state == SS_PREPARING || s->state == SS_STARTING ||
	    s->state == SS_RUNNING || service_is_stopping(s);
}

bool
service_is_up(const struct service *s)
{
	/* What it requires failed: nothing it could do (SPEC §14). */
	if (s->state == SS_FAILED && s->unmet)
		return true;
	if (s->conf->type == TYPE_ONESHOT)
		return s->state == SS_DONE;
	return s->state == SS_RUNNING || (s->state == SS_STOPPED &&
	    s->started_at != 0 && service_status_expected(s));
}

bool
service_satisfies_after(const struct service *s)
{
	if (s->conf->disabled)
		return true;
	return s->state == (s->conf->type == TYPE_ONESHOT ? SS_DONE :
	    SS_RUNNING);
}

bool
service_is_settled(const struct service *s)
{
	return s->state == SS_IDLE || s->state == SS_STOPPED ||
	    s->state == SS_FAILED || s->state == SS_DONE;
}
