/*
 * Flipping producers (see producer_flip.h). Data flow:
 *
 *   InitProducerId answer -> prodflip_saw_init: a session {id, epoch,
 *   issuer} per producer id a client got.
 *   Produce (client.c, before its pending entry exists) -> prodflip_produce:
 *     1. a drain is on for this connection's cluster: hold.
 *     2. the first batch's producer id (read from a copied prefix) names a
 *        session that needs translating here: decode the frame, and for
 *        each batch look at its partition; if the id of this cluster is
 *        not there yet, ask for it (own InitProducerId on this client's
 *        home upstream) and hold; else rewrite the batches in place.
 *   own InitProducerId answer -> the session's id for that cluster; held
 *   clients resume (a 100 ms timer also resumes them, so a hold whose
 *   reason went away by a timeout or failure never sticks).
 *
 * Sessions are owned by the prodflip table and bounded (the least
 * recently used one goes); a session not found means "not ours": the
 * request goes on untouched, as before turnout knew about flips.
 */
#include "proxy/producer_flip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/client.h"
#include "proxy/frameio.h"
#include "proxy/log.h"
#include "proxy/prodseq.h"
#include "proxy/proxy.h"
#include "proxy/recbatch.h"
#include "routing/routes.h"
#include "wire/api.h"
#include "wire/msg.h"
#include "wire_msgs.h"

enum {
	SESSIONS_MAX = 1024,
	PREFIX_MAX = 1024,  /* bytes copied to read the first batch header */
	TICK_MS = 100,      /* held clients are looked at again this often */
	ASK_RETRY_MS = 500, /* after a failed InitProducerId */
	ASK_TIMEOUT_MS = 30000,
	GAP_WAIT_MS = 30000,        /* a sequence gap refused this long is let through */
	OWN_TXN_TIMEOUT_MS = 60000, /* InitProducerId field; unused without a transactional id */
};

typedef enum { ID_NONE, ID_ASKING, ID_READY } id_state;

/* The id turnout got from one cluster for a client's producer session. */
typedef struct own_id {
	id_state state;
	int64_t pid;
	int16_t epoch;
	unsigned gen;     /* bumped when the id is replaced: late answers are dropped */
	int64_t retry_ms; /* ID_NONE after a failure: not asked again before */
	int64_t asked_ms;
} own_id;

/* One partition a session produced to. */
typedef struct tp_state {
	char *topic;
	int32_t partition;
	int moved;   /* produced somewhere its issuer is not */
	int last;    /* cluster of its last batch, -1 none */
	prodseq seq; /* base, next and hole of its sequences */
} tp_state;

typedef struct session {
	int64_t pid; /* as the client knows it */
	int16_t epoch;
	int issuer;
	int moved; /* some partition moved: Produce at the issuer is looked at too */
	tp_state *tps;
	size_t ntps, cap;
	own_id id[CLUSTER_COUNT];
	int64_t used_ms;
} session;

struct prodflip {
	proxy *px;
	session *s[SESSIONS_MAX];
	size_t n;
	size_t by_issuer[CLUSTER_COUNT]; /* sessions per issuing cluster */
	size_t moved;                    /* sessions with a moved partition */
	struct event *tick;
	int tick_on;
	/* drain: Produce on home k waits while left[k] requests to the other
	 * cluster, in flight at the reload, are unanswered */
	int drain[CLUSTER_COUNT];
	int left;
	int marked;
	int64_t drain_ms, drain_until;
	prodflip_stats st;
};

/* The InitProducerId turnout sent: which session and id it fills. */
typedef struct ask {
	proxy *px;
	int64_t pid;
	int16_t epoch;
	int cluster;
	unsigned gen;
	int16_t version;
} ask;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *cname(int k)
{
	return k >= 0 && k < CLUSTER_COUNT ? config_cluster_names[k] : "none";
}

static void session_free(session *s)
{
	for (size_t i = 0; i < s->ntps; i++)
		free(s->tps[i].topic);
	free(s->tps);
	free(s);
}

static session *find(prodflip *pf, int64_t pid, int16_t epoch)
{
	for (size_t i = 0; i < pf->n; i++)
		if (pf->s[i]->pid == pid && pf->s[i]->epoch == epoch)
			return pf->s[i];
	return NULL;
}

static void remove_at(prodflip *pf, size_t i)
{
	pf->by_issuer[pf->s[i]->issuer]--;
	pf->moved -= pf->s[i]->moved ? 1 : 0;
	session_free(pf->s[i]);
	pf->s[i] = pf->s[--pf->n];
}

/* ---- holding and resuming clients ---- */

static void arm_tick(prodflip *pf)
{
	if (pf->tick_on)
		return;
	struct timeval tv = {0, TICK_MS * 1000};
	if (event_add(pf->tick, &tv) == 0)
		pf->tick_on = 1;
}

static void resume_all(prodflip *pf)
{
	client *c, *next;
	for (c = TAILQ_FIRST(&pf->px->clients); c; c = next) {
		next = TAILQ_NEXT(c, link);
		if (c->prod_hold)
			client_hold(c, 0);
	}
}

static void hold(prodflip *pf, client *c)
{
	if (!c->prod_hold)
		pf->st.held++;
	client_hold(c, 1);
	arm_tick(pf);
}

static void drain_end(prodflip *pf, const char *why)
{
	int64_t waited = now_ms() - pf->drain_ms;
	log_info("event=producer_drain_done waited_ms=%lld requests=%d unanswered=%d ended_by=%s",
	         (long long)waited, pf->marked, pf->left, why);
	memset(pf->drain, 0, sizeof(pf->drain));
	pf->left = 0;
	resume_all(pf);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	prodflip *pf = arg;
	pf->tick_on = 0;
	int any = 0;
	for (int k = 0; k < CLUSTER_COUNT; k++)
		any |= pf->drain[k];
	if (any && now_ms() >= pf->drain_until)
		drain_end(pf, "timeout");
	resume_all(pf); /* each held request is looked at again */
}

/* ---- InitProducerId: learned and asked ---- */

static int decode_init_resp(int16_t version, const uint8_t *frame, size_t len,
                            wire_init_producer_id_resp *m)
{
	wire_arena a;
	wire_arena_init(&a, 0);
	int rc = frameio_decode_response(WIRE_API_INIT_PRODUCER_ID, version, frame, len, &a, m);
	wire_arena_reset(&a); /* m holds no pointers that matter: ids and codes */
	return rc;
}

void prodflip_saw_init(proxy *px, int cluster, int16_t version, const uint8_t *frame, size_t len)
{
	prodflip *pf = px->prodflip;
	wire_init_producer_id_resp m;
	if (!pf || decode_init_resp(version, frame, len, &m) || m.error_code || m.producer_id < 0)
		return;
	pf->st.ids_issued++;
	int64_t now = now_ms();
	session *s = find(pf, m.producer_id, m.producer_epoch);
	if (s) {
		pf->by_issuer[s->issuer]--;
		pf->by_issuer[cluster]++;
		s->issuer = cluster;
		s->used_ms = now;
		return;
	}
	if (pf->n == SESSIONS_MAX) {
		size_t old = 0;
		for (size_t i = 1; i < pf->n; i++)
			if (pf->s[i]->used_ms < pf->s[old]->used_ms)
				old = i;
		remove_at(pf, old);
	}
	if (!(s = calloc(1, sizeof(*s))))
		return; /* not tracked: its requests go on untouched */
	s->pid = m.producer_id;
	s->epoch = m.producer_epoch;
	s->issuer = cluster;
	s->used_ms = now;
	pf->s[pf->n++] = s;
	pf->by_issuer[cluster]++;
	log_debug("event=producer_id_seen producer_id=%lld epoch=%d cluster=%s", (long long)s->pid,
	          s->epoch, cname(cluster));
}

static void on_own_answer(void *arg, int cluster, const uint8_t *frame, size_t len)
{
	ask *q = arg;
	prodflip *pf = q->px->prodflip;
	session *s = pf ? find(pf, q->pid, q->epoch) : NULL;
	own_id *id = s ? &s->id[q->cluster] : NULL;
	wire_init_producer_id_resp m;
	int ok =
	    frame && cluster == q->cluster && decode_init_resp(q->version, frame, len, &m) == 0;
	if (id && id->gen == q->gen && id->state == ID_ASKING) {
		if (ok && m.error_code == 0 && m.producer_id >= 0) {
			id->state = ID_READY;
			id->pid = m.producer_id;
			id->epoch = m.producer_epoch;
			pf->st.ids_mapped++;
			log_info("event=producer_id_mapped client_producer_id=%lld client_epoch=%d "
			         "issued_by=%s cluster=%s producer_id=%lld epoch=%d",
			         (long long)s->pid, s->epoch, cname(s->issuer), cname(q->cluster),
			         (long long)id->pid, id->epoch);
		} else {
			id->state = ID_NONE;
			id->retry_ms = now_ms() + ASK_RETRY_MS;
			log_warn("event=producer_id_failed client_producer_id=%lld cluster=%s "
			         "error=%d reason=\"%s\" action=\"retried in %d ms; the client's "
			         "Produce waits\"",
			         (long long)q->pid, cname(q->cluster), ok ? m.error_code : -1,
			         !frame ? "connection closed"
			         : ok   ? "error answer"
			                : "bad answer",
			         ASK_RETRY_MS);
		}
	}
	free(q);
	if (pf)
		resume_all(pf);
}

/* Sends InitProducerId (no transactional id) for s to c's cluster. */
static int ask_id(prodflip *pf, client *c, session *s, int k)
{
	proxy *px = pf->px;
	own_id *id = &s->id[k];
	api_range r = px->clusters[k].versions.r[WIRE_API_INIT_PRODUCER_ID];
	if (r.max < 0 || r.min > 4)
		return -1;
	int16_t v = r.max < 4 ? r.max : 4;
	ask *q = calloc(1, sizeof(*q));
	if (!q)
		return -1;
	*q = (ask){px, s->pid, s->epoch, k, ++id->gen, v};
	wire_init_producer_id_req rq;
	wire_init_producer_id_req_init(&rq);
	rq.transactional_id = wire_str_null();
	rq.transaction_timeout_ms = OWN_TXN_TIMEOUT_MS;
	rq.producer_id = -1;
	rq.producer_epoch = -1;
	int32_t corr = client_own_corr(c);
	wire_req_header h = {.api_key = WIRE_API_INIT_PRODUCER_ID,
	                     .api_version = v,
	                     .correlation_id = corr,
	                     .client_id = wire_str_c("turnout"),
	                     .version =
	                         (int8_t)wire_req_header_version(WIRE_API_INIT_PRODUCER_ID, v)};
	wire_wr w;
	wire_wr_init(&w, false);
	int rc =
	    frameio_encode_request(&w, &h, &rq) || client_send_own(c, &w, corr, on_own_answer, q);
	wire_wr_free(&w);
	if (rc) {
		free(q);
		return -1;
	}
	id->state = ID_ASKING;
	id->asked_ms = now_ms();
	log_info("client=%d event=producer_id_asked client_producer_id=%lld client_epoch=%d "
	         "issued_by=%s cluster=%s",
	         c->id, (long long)s->pid, s->epoch, cname(s->issuer), cname(k));
	return 0;
}

/* ---- Produce ---- */

/* The first batch's ids and the transactional id, from a prefix copy. */
static int peek_first(struct evbuffer *in, int32_t size, int16_t *version, int *txn,
                      recbatch_ids *ids)
{
	uint8_t buf[PREFIX_MAX];
	size_t n = (size_t)size < sizeof(buf) ? (size_t)size : sizeof(buf);
	struct evbuffer_ptr pos;
	evbuffer_ptr_set(in, &pos, 4, EVBUFFER_PTR_SET);
	if (evbuffer_copyout_from(in, &pos, buf, n) != (ssize_t)n)
		return -1;
	wire_arena a;
	wire_arena_init(&a, 1 << 16);
	wire_rd r;
	wire_rd_init(&r, buf, n);
	wire_req_header h;
	int rc = -1;
	if (wire_req_header_decode(&r, &a, &h))
		goto out;
	*version = h.api_version;
	bool flex = wire_api_flexible(WIRE_API_PRODUCE, h.api_version);
	wire_str tid = wire_str_null(), name;
	int16_t acks;
	int32_t timeout, ntopics, nparts, part, rlen = -1;
	if (h.api_version < 3)
		goto out; /* no idempotence before v3 */
	if (wire_rd_str(&r, flex, &tid) || wire_rd_int16(&r, &acks) ||
	    wire_rd_int32(&r, &timeout) || wire_rd_arrlen(&r, flex, &ntopics) || ntopics < 1 ||
	    wire_rd_str(&r, flex, &name) || wire_rd_arrlen(&r, flex, &nparts) || nparts < 1 ||
	    wire_rd_int32(&r, &part))
		goto out;
	if (flex) {
		uint32_t u;
		if (wire_rd_uvarint(&r, &u))
			goto out;
		rlen = (int32_t)u - 1;
	} else if (wire_rd_int32(&r, &rlen)) {
		goto out;
	}
	const uint8_t *b;
	if (rlen < RECBATCH_HEADER || wire_rd_raw(&r, RECBATCH_HEADER, &b) ||
	    recbatch_first(b, RECBATCH_HEADER, ids))
		goto out;
	*txn = tid.len >= 0;
	rc = 0;
out:
	wire_arena_reset(&a);
	return rc;
}

static tp_state *tp_get(session *s, wire_str topic, int32_t partition)
{
	for (size_t i = 0; i < s->ntps; i++)
		if (s->tps[i].partition == partition &&
		    strlen(s->tps[i].topic) == (size_t)topic.len &&
		    memcmp(s->tps[i].topic, topic.p, (size_t)topic.len) == 0)
			return &s->tps[i];
	if (s->ntps == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		tp_state *nv = realloc(s->tps, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		s->tps = nv;
		s->cap = cap;
	}
	tp_state *t = &s->tps[s->ntps];
	memset(t, 0, sizeof(*t));
	if (!(t->topic = strndup(topic.p, (size_t)topic.len)))
		return NULL;
	t->partition = partition;
	t->last = -1;
	s->ntps++;
	return t;
}

/* One pass over a request's batches. */
typedef enum {
	PASS_LOOK,  /* is the id needed, is it there */
	PASS_ORDER, /* does a batch start after records the client still holds */
	PASS_WRITE, /* rewrite */
} pass;

typedef struct walk {
	prodflip *pf;
	session *s;
	int home;
	tp_state *tp;
	pass pass;
	int64_t now;
	int need_id; /* some batch needs s->id[home] */
	int stale;   /* a partition comes back to an id that already saw it */
	int bad_pid; /* a batch of another producer id in the same request */
	int gap;     /* some batch is ahead of its partition's sequence here */
	int mapped;
} walk;

/* A batch ahead of the sequence the cluster should see next: an earlier
 * one was refused and the client will send it again (prodseq.h). */
static void order_batch(walk *w, tp_state *t, const recbatch_ids *ids)
{
	int32_t expected;
	prodseq_verdict v =
	    prodseq_check(&t->seq, w->home, ids->base_sequence, w->now, GAP_WAIT_MS, &expected);
	if (v == PRODSEQ_GAP) {
		w->gap = 1;
		log_info("event=producer_sequence_gap topic=%s partition=%d "
		         "client_producer_id=%lld base_sequence=%d expected=%d cluster=%s "
		         "action=\"answered NOT_LEADER_OR_FOLLOWER: earlier records first\"",
		         t->topic, t->partition, (long long)w->s->pid, ids->base_sequence, expected,
		         cname(w->home));
	} else if (v == PRODSEQ_GAVE_UP) {
		log_warn("event=producer_sequence_gap_given_up topic=%s partition=%d "
		         "client_producer_id=%lld base_sequence=%d expected=%d cluster=%s "
		         "waited_ms=%d action=\"forwarded: records from %d on were never sent "
		         "again\"",
		         t->topic, t->partition, (long long)w->s->pid, ids->base_sequence, expected,
		         cname(w->home), GAP_WAIT_MS, expected);
	}
}

static int on_batch(void *arg, recbatch_ids *ids)
{
	walk *w = arg;
	session *s = w->s;
	tp_state *t = w->tp;
	if (ids->producer_id != s->pid || ids->epoch != s->epoch) {
		w->bad_pid = 1;
		return 0;
	}
	int native = w->home == s->issuer && !t->moved;
	if (w->pass == PASS_LOOK) {
		if (!native) {
			w->need_id = 1;
			if (t->last != w->home && t->last >= 0 && t->seq.has_base[w->home])
				w->stale = 1;
		}
		return 0;
	}
	if (w->pass == PASS_ORDER) {
		if (!native)
			order_batch(w, t, ids);
		return 0;
	}
	if (native) {
		t->last = w->home;
		return 0;
	}
	own_id *id = &s->id[w->home];
	int32_t seq = prodseq_sent(&t->seq, w->home, ids->base_sequence, ids->count);
	if (seq < 0) {
		/* older than the partition's first batch here: a retry of a request
		 * that failed on the cluster it left after a later one came here */
		w->pf->st.behind_base++;
		log_warn("event=producer_sequence_behind topic=%s partition=%d "
		         "client_producer_id=%lld base_sequence=%d first_here=%d cluster=%s",
		         t->topic, t->partition, (long long)s->pid, ids->base_sequence,
		         t->seq.base[w->home], cname(w->home));
	}
	ids->producer_id = id->pid;
	ids->epoch = id->epoch;
	ids->base_sequence = seq;
	if (w->home != s->issuer) {
		t->moved = 1;
		if (!s->moved)
			w->pf->moved++;
		s->moved = 1;
	}
	t->last = w->home;
	w->mapped++;
	return 0;
}

static int walk_request(walk *w, const wire_produce_req *rq)
{
	for (int32_t i = 0; i < rq->topic_data.n; i++) {
		const wire_produce_req_topic_produce_data *td = &rq->topic_data.v[i];
		for (int32_t j = 0; j < td->partition_data.n; j++) {
			const wire_produce_req_partition_produce_data *pd =
			    &td->partition_data.v[j];
			if (pd->records.len <= 0 || td->name.len <= 0)
				continue;
			if (!(w->tp = tp_get(w->s, td->name, pd->index)))
				return -1;
			/* the batches lie in the linearised frame we own */
			if (recbatch_rewrite((uint8_t *)pd->records.p, (size_t)pd->records.len,
			                     on_batch, w) < 0)
				return -1;
		}
	}
	return 0;
}

/* Whether s's batches on home may need rewriting. */
static int concerns(const session *s, int home)
{
	return home != s->issuer || s->moved;
}

int prodflip_produce(client *c, const wire_req_header *h, struct evbuffer *in, int32_t size,
                     char *why, size_t whylen)
{
	proxy *px = c->px;
	prodflip *pf = px->prodflip;
	if (!pf)
		return 0;
	int home = client_cluster(c);
	int64_t now = now_ms();
	if (pf->drain[home]) {
		if (now < pf->drain_until) {
			hold(pf, c);
			return 1;
		}
		drain_end(pf, "timeout");
	}
	if (pf->by_issuer[home] == pf->n && !pf->moved)
		return 0; /* every id known was issued here and never left: nothing to do */
	int16_t version;
	int txn = 0;
	recbatch_ids first;
	if (peek_first(in, size, &version, &txn, &first) || first.producer_id < 0 || txn)
		return 0; /* not idempotent, transactional, or unreadable: untouched */
	session *s = find(pf, first.producer_id, first.epoch);
	if (!s || !concerns(s, home))
		return 0;
	s->used_ms = now;
	/* the request is ours to rewrite: decode it where it lies, linearised */
	size_t len = 4 + (size_t)size;
	uint8_t *f = evbuffer_pullup(in, (ssize_t)len);
	const wire_msg_type *t = wire_msg_find(WIRE_API_PRODUCE, WIRE_REQUEST);
	wire_arena a;
	wire_arena_init(&a, 1 << 20);
	wire_rd r;
	wire_req_header again;
	wire_produce_req rq;
	char err[200];
	size_t trailing;
	int rc = -1;
	if (!f || !t) {
		snprintf(why, whylen, "cannot read Produce request");
		goto out;
	}
	wire_rd_init(&r, f + 4, (size_t)size);
	if (wire_req_header_decode(&r, &a, &again) ||
	    wire_msg_decode_lenient(t, h->api_version, f + 4 + r.pos, (size_t)size - r.pos, &a, &rq,
	                            &trailing, err, sizeof(err))) {
		snprintf(why, whylen, "malformed Produce v%d request: %s", h->api_version, err);
		goto out;
	}
	walk w = {.pf = pf, .s = s, .home = home, .pass = PASS_LOOK, .now = now};
	if (walk_request(&w, &rq)) {
		snprintf(why, whylen, "malformed record batch in Produce v%d request",
		         h->api_version);
		goto out;
	}
	if (w.bad_pid) {
		snprintf(why, whylen, "Produce request mixes producer ids");
		goto out;
	}
	rc = 0;
	if (!w.need_id)
		goto write; /* native partitions only: still walked to note where they are */
	own_id *id = &s->id[home];
	if (w.stale && id->state == ID_READY) {
		/* this id already saw the partition before it left: its sequence
		 * there cannot continue from the client's, use a fresh id */
		log_info("event=producer_id_renewed client_producer_id=%lld cluster=%s "
		         "reason=\"a partition came back\"",
		         (long long)s->pid, cname(home));
		id->state = ID_NONE;
		id->gen++;
		for (size_t i = 0; i < s->ntps; i++)
			prodseq_forget(&s->tps[i].seq, home);
	}
	w.pass = PASS_ORDER;
	if (walk_request(&w, &rq) == 0 && w.gap) {
		pf->st.gaps++;
		rc = 2; /* refused: nothing written, the id is not needed yet */
		goto out;
	}
	if (id->state == ID_ASKING && now - id->asked_ms > ASK_TIMEOUT_MS) {
		id->state = ID_NONE;
		id->gen++;
	}
	if (id->state != ID_READY) {
		if (id->state == ID_NONE && now >= id->retry_ms && ask_id(pf, c, s, home))
			id->retry_ms = now + ASK_RETRY_MS;
		hold(pf, c);
		rc = 1;
		goto out;
	}
write:
	w.pass = PASS_WRITE;
	if (walk_request(&w, &rq)) { /* cannot fail: the same bytes walked before */
		snprintf(why, whylen, "malformed record batch in Produce v%d request",
		         h->api_version);
		rc = -1;
		goto out;
	}
	pf->st.batches_mapped += (unsigned long)w.mapped;
	if (w.mapped)
		log_debug("client=%d event=produce_mapped batches=%d cluster=%s", c->id, w.mapped,
		          cname(home));
out:
	wire_arena_reset(&a);
	return rc;
}

/* ---- Produce answered by turnout ---- */

typedef struct refusal {
	prodflip *pf;
	wire_str topic;
	int32_t partition;
	int64_t now;
} refusal;

static int on_refused(void *arg, const recbatch_ids *ids)
{
	refusal *r = arg;
	if (ids->producer_id < 0 || ids->transactional)
		return 0;
	session *s = find(r->pf, ids->producer_id, ids->epoch);
	tp_state *t = s ? tp_get(s, r->topic, r->partition) : NULL;
	if (t)
		prodseq_refused(&t->seq, ids->base_sequence, r->now);
	return 0; /* not tracked (out of memory): as before turnout kept holes */
}

void prodflip_refused(proxy *px, const wire_produce_req *rq)
{
	prodflip *pf = px->prodflip;
	if (!pf || !pf->n)
		return;
	for (int32_t i = 0; i < rq->topic_data.n; i++) {
		const wire_produce_req_topic_produce_data *td = &rq->topic_data.v[i];
		for (int32_t j = 0; j < td->partition_data.n; j++) {
			const wire_produce_req_partition_produce_data *pd =
			    &td->partition_data.v[j];
			refusal r = {pf, td->name, pd->index, now_ms()};
			if (pd->records.len > 0 && td->name.len > 0)
				recbatch_each(pd->records.p, (size_t)pd->records.len, on_refused,
				              &r);
		}
	}
}

/* ---- transactions ---- */

enum { API_ADD_PARTITIONS_TO_TXN = 24, KERR_NOT_COORDINATOR = 16 };

/* NOT_COORDINATOR for every part of an AddPartitionsToTxn or
 * AddOffsetsToTxn request, encoded at its version into w. */
static int not_coordinator(const wire_req_header *h, const uint8_t *body, size_t len, wire_arena *a,
                           wire_wr *w)
{
	const wire_msg_type *rt = wire_msg_find(h->api_key, WIRE_REQUEST),
	                    *st = wire_msg_find(h->api_key, WIRE_RESPONSE);
	union {
		wire_add_partitions_to_txn_req ap;
		wire_add_offsets_to_txn_req ao;
	} rq;
	union {
		wire_add_partitions_to_txn_resp ap;
		wire_add_offsets_to_txn_resp ao;
	} rs;
	char err[200];
	size_t trailing;
	if (!rt || !st ||
	    wire_msg_decode_lenient(rt, h->api_version, body, len, a, &rq, &trailing, err,
	                            sizeof(err)))
		return -1;
	st->init(&rs);
	if (h->api_key == WIRE_API_ADD_OFFSETS_TO_TXN) {
		rs.ao.error_code = KERR_NOT_COORDINATOR;
	} else {
		int32_t nt = rq.ap.topics.n > 0 ? rq.ap.topics.n : 0;
		rs.ap.results.n = nt;
		rs.ap.results.v = wire_arena_alloc(a, sizeof(*rs.ap.results.v) * (size_t)(nt + 1));
		if (!rs.ap.results.v)
			return -1;
		for (int32_t i = 0; i < nt; i++) {
			const wire_add_partitions_to_txn_req_add_partitions_to_txn_topic *t =
			    &rq.ap.topics.v[i];
			wire_add_partitions_to_txn_resp_add_partitions_to_txn_topic_result *o =
			    &rs.ap.results.v[i];
			wire_add_partitions_to_txn_resp_add_partitions_to_txn_topic_result_init(o);
			o->name = t->name;
			int32_t np = t->partitions.n > 0 ? t->partitions.n : 0;
			o->results.n = np;
			o->results.v =
			    wire_arena_alloc(a, sizeof(*o->results.v) * (size_t)(np + 1));
			if (!o->results.v)
				return -1;
			for (int32_t j = 0; j < np; j++) {
				wire_add_partitions_to_txn_resp_add_partitions_to_txn_partition_result_init(
				    &o->results.v[j]);
				o->results.v[j].partition_index = t->partitions.v[j];
				o->results.v[j].error_code = KERR_NOT_COORDINATOR;
			}
		}
	}
	wire_resp_header rh = {.correlation_id = h->correlation_id,
	                       .version =
	                           (int8_t)wire_resp_header_version(h->api_key, h->api_version)};
	if (wire_wr_int32(w, 0) || wire_resp_header_encode(w, &rh) ||
	    st->encode(w, h->api_version, &rs))
		return -1;
	wire_wr_put_int32_at(w, 0, (int32_t)(wire_wr_size(w) - 4));
	return 0;
}

int prodflip_txn(client *c, const wire_req_header *h, pending *p, struct evbuffer *in, int32_t size,
                 char *why, size_t whylen)
{
	proxy *px = c->px;
	int home = client_cluster(c), want = px->cfg->routes.producers;
	if ((h->api_key != API_ADD_PARTITIONS_TO_TXN &&
	     h->api_key != WIRE_API_ADD_OFFSETS_TO_TXN) ||
	    home == want || !p || h->api_version > 3)
		return 0; /* v4+ AddPartitionsToTxn is broker-to-broker: not from clients */
	size_t len = 4 + (size_t)size;
	const uint8_t *f = evbuffer_pullup(in, (ssize_t)len);
	wire_arena a;
	wire_arena_init(&a, 1 << 20);
	wire_rd r;
	wire_req_header again;
	wire_wr w;
	wire_wr_init(&w, false);
	int rc = -1;
	if (f) {
		wire_rd_init(&r, f + 4, (size_t)size);
		if (wire_req_header_decode(&r, &a, &again) == 0 &&
		    not_coordinator(h, f + 4 + r.pos, (size_t)size - r.pos, &a, &w) == 0 &&
		    client_answer(p, &w) == 0)
			rc = 1;
	}
	if (rc < 0)
		snprintf(why, whylen, "malformed %s v%d request", wire_api_name(h->api_key),
		         h->api_version);
	else
		log_info("client=%d event=txn_not_coordinator api=%s cluster=%s producers=%s "
		         "reason=\"a new transaction starts where the producers now go\"",
		         c->id, wire_api_name(h->api_key), cname(home), cname(want));
	evbuffer_drain(in, len);
	wire_wr_free(&w);
	wire_arena_reset(&a);
	return rc;
}

/*
 * A transactional InitProducerId carrying an id another cluster issued
 * (KIP-360 epoch bump after the producers moved): the coordinator here
 * would fence it (the id is not its own), so it is sent as a first
 * initialisation (-1/-1) and the client gets an id of this cluster.
 */
void prodflip_init_request(client *c, const wire_req_header *h, struct evbuffer *in, int32_t size)
{
	prodflip *pf = c->px->prodflip;
	if (!pf || !pf->n || h->api_version < 3)
		return;
	size_t len = 4 + (size_t)size;
	uint8_t *f = evbuffer_pullup(in, (ssize_t)len);
	if (!f)
		return;
	wire_arena a;
	wire_arena_init(&a, 1 << 16);
	wire_rd r;
	wire_req_header again;
	wire_str tid;
	int32_t timeout;
	int64_t pid;
	int16_t epoch;
	bool flex = wire_api_flexible(WIRE_API_INIT_PRODUCER_ID, h->api_version);
	wire_rd_init(&r, f + 4, (size_t)size);
	if (wire_req_header_decode(&r, &a, &again) || wire_rd_str(&r, flex, &tid) ||
	    wire_rd_int32(&r, &timeout))
		goto out;
	size_t at = 4 + r.pos;
	if (wire_rd_int64(&r, &pid) || wire_rd_int16(&r, &epoch) || pid < 0)
		goto out;
	session *s = find(pf, pid, epoch);
	int home = client_cluster(c);
	if (!s || s->issuer == home)
		goto out;
	memset(f + at, 0xff, 10); /* ProducerId -1, ProducerEpoch -1 */
	log_info("client=%d event=producer_init_fresh client_producer_id=%lld epoch=%d "
	         "issued_by=%s cluster=%s transactional=%d",
	         c->id, (long long)pid, epoch, cname(s->issuer), cname(home), tid.len >= 0);
out:
	wire_arena_reset(&a);
}

/* ---- reloads ---- */

/* Clusters some producer route moved to. */
static void gains(const config *old, const config *new, int out[CLUSTER_COUNT])
{
	const routes *o = &old->routes, *n = &new->routes;
	memset(out, 0, sizeof(int) * CLUSTER_COUNT);
	if (o->producers != n->producers)
		out[n->producers] = 1;
	for (size_t i = 0; i < n->nproduce; i++) {
		const char *t = n->produce_topics[i].name;
		int was = routes_producer(o, t, strlen(t)), now = n->produce_topics[i].cluster;
		if (was != now)
			out[now] = 1;
	}
	for (size_t i = 0; i < o->nproduce; i++) {
		const char *t = o->produce_topics[i].name;
		int was = o->produce_topics[i].cluster, now = routes_producer(n, t, strlen(t));
		if (was != now)
			out[now] = 1;
	}
}

void prodflip_reloaded(proxy *px, const config *old)
{
	prodflip *pf = px->prodflip;
	if (!pf)
		return;
	int g[CLUSTER_COUNT];
	gains(old, px->cfg, g);
	int marked = 0;
	for (int k = 0; k < CLUSTER_COUNT; k++) {
		if (!g[k])
			continue;
		client *c;
		TAILQ_FOREACH(c, &px->clients, link)
		{
			if (!c->up || client_cluster(c) == k)
				continue;
			pending *p;
			TAILQ_FOREACH(p, &c->outq, link)
			if (p->api == WIRE_API_PRODUCE && !p->done && !p->prod_barrier) {
				p->prod_barrier = 1;
				marked++;
			}
		}
		log_info("event=producer_route_changed to=%s inflight_elsewhere=%d", cname(k),
		         marked);
	}
	if (!marked)
		return;
	for (int k = 0; k < CLUSTER_COUNT; k++)
		pf->drain[k] |= g[k];
	pf->left += marked;
	pf->marked = pf->left;
	pf->drain_ms = now_ms();
	pf->drain_until = pf->drain_ms + px->cfg->request_timeout_ms;
	pf->st.drains++;
	arm_tick(pf);
}

void prodflip_barrier_done(proxy *px)
{
	prodflip *pf = px->prodflip;
	if (!pf || pf->left <= 0)
		return;
	if (--pf->left == 0) {
		int any = 0;
		for (int k = 0; k < CLUSTER_COUNT; k++)
			any |= pf->drain[k];
		if (any)
			drain_end(pf, "answered");
	}
}

/* ---- life ---- */

int prodflip_start(proxy *px)
{
	prodflip *pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -1;
	pf->px = px;
	pf->tick = evtimer_new(px->base, on_tick, pf);
	if (!pf->tick) {
		free(pf);
		return -1;
	}
	px->prodflip = pf;
	return 0;
}

void prodflip_stop(proxy *px)
{
	prodflip *pf = px->prodflip;
	if (!pf)
		return;
	event_free(pf->tick);
	while (pf->n)
		remove_at(pf, pf->n - 1);
	free(pf);
	px->prodflip = NULL;
}

void prodflip_get_stats(const proxy *px, prodflip_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (px->prodflip)
		*out = px->prodflip->st;
}
