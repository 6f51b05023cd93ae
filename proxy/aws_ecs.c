/*
 * Container credentials (see aws_ecs.h).
 *
 *   start -> GET <endpoint> [Authorization: <token>] -> JSON {AccessKeyId,
 *   SecretAccessKey, Token, Expiration} -> cache -> timer: again 5 minutes
 *   before Expiration (at most hourly); on failure again in 5 s, the old
 *   credentials served until they expire.
 *
 * One cache per process: every AWS_MSK_IAM authentication signs with what
 * it holds. Logs say when credentials were refreshed and until when, never
 * what they are.
 */
#include "proxy/aws_ecs.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "proxy/log.h"

/* The cache is written on the event loop and read there and by the MM2
 * readers' token refresh (librdkafka's threads). */
static pthread_mutex_t ecs_cache_lock = PTHREAD_MUTEX_INITIALIZER;

enum {
	RETRY_S = 5,
	REFRESH_BEFORE_S = 300, /* refresh this long before the credentials expire */
	REFRESH_MAX_S = 3600,
	REFRESH_MIN_S = 30,
	BODY_MAX = 64 * 1024,
	TOKEN_MAX = 8192,
};

static struct {
	struct event_base *base;
	struct evdns_base *dns;
	char host[256];
	int port;
	char path[2048];
	struct evhttp_connection *conn;
	struct event *timer;
	aws_creds creds; /* valid while have */
	time_t expiration;
	int have;
	int inflight;
} ecs;

int aws_ecs_configured(void)
{
	const char *r = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *f = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	return (r && *r) || (f && *f);
}

/* Hosts the AWS SDKs accept for plain http: loopback and the ECS and EKS
 * Pod Identity link-local addresses. */
static int host_allowed(const char *h)
{
	struct in_addr a4;
	struct in6_addr a6, eks6, lo6;
	if (strcmp(h, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127 || strcmp(h, "169.254.170.2") == 0 ||
		       strcmp(h, "169.254.170.23") == 0;
	if (inet_pton(AF_INET6, h, &a6) == 1) {
		inet_pton(AF_INET6, "fd00:ec2::23", &eks6);
		inet_pton(AF_INET6, "::1", &lo6);
		return memcmp(&a6, &eks6, sizeof(a6)) == 0 || memcmp(&a6, &lo6, sizeof(a6)) == 0;
	}
	return 0;
}

static int parse_endpoint(char *err, size_t errlen)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	if (rel && *rel) {
		if (rel[0] != '/' || strlen(rel) >= sizeof(ecs.path) || strpbrk(rel, "\r\n ")) {
			snprintf(err, errlen,
			         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path");
			return -1;
		}
		snprintf(ecs.host, sizeof(ecs.host), "169.254.170.2");
		ecs.port = 80;
		snprintf(ecs.path, sizeof(ecs.path), "%s", rel);
		return 0;
	}
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct evhttp_uri *u = evhttp_uri_parse(full);
	const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
	const char *host = u ? evhttp_uri_get_host(u) : NULL;
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const char *query = u ? evhttp_uri_get_query(u) : NULL;
	int rc = -1;
	if (!u || !scheme || !host)
		snprintf(err, errlen, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URI");
	else if (strcmp(scheme, "http") != 0)
		snprintf(err, errlen,
		         "AWS_CONTAINER_CREDENTIALS_FULL_URI: only http is supported "
		         "(https endpoints are not in this build)");
	else if (!host_allowed(host))
		snprintf(err, errlen,
		         "AWS_CONTAINER_CREDENTIALS_FULL_URI: host %.64s is not loopback "
		         "or an ECS/EKS credentials address",
		         host);
	else if (strlen(host) >= sizeof(ecs.host))
		snprintf(err, errlen, "AWS_CONTAINER_CREDENTIALS_FULL_URI: host too long");
	else {
		snprintf(ecs.host, sizeof(ecs.host), "%s", host);
		ecs.port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
		int n = snprintf(ecs.path, sizeof(ecs.path), "%s%s%s", path && *path ? path : "/",
		                 query ? "?" : "", query ? query : "");
		rc = n > 0 && (size_t)n < sizeof(ecs.path) ? 0 : -1;
		if (rc)
			snprintf(err, errlen, "AWS_CONTAINER_CREDENTIALS_FULL_URI: path too long");
	}
	if (u)
		evhttp_uri_free(u);
	return rc;
}

/* The Authorization header value, re-read every fetch (it may rotate). */
static char *auth_token(char *err, size_t errlen)
{
	const char *file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	char *t = NULL;
	if (file && *file) {
		FILE *f = fopen(file, "rb");
		t = f ? calloc(1, TOKEN_MAX + 1) : NULL;
		size_t n = t ? fread(t, 1, TOKEN_MAX, f) : 0;
		if (f)
			fclose(f);
		if (!t) {
			snprintf(err, errlen,
			         "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %.200s unreadable", file);
			return NULL;
		}
		while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' '))
			t[--n] = '\0';
	} else {
		const char *v = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
		if (!v || !*v)
			return calloc(1, 1); /* none: an empty string */
		t = strdup(v);
	}
	if (t && strpbrk(t, "\r\n")) {
		snprintf(err, errlen, "container authorization token contains a line break");
		OPENSSL_cleanse(t, strlen(t));
		free(t);
		return NULL;
	}
	return t;
}

static int parse_time(const char *s, time_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	char z = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) < 6 ||
	    tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	if (z && z != 'Z' && z != '.')
		return -1; /* only UTC, as the endpoints send it */
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

int aws_ecs_parse(const char *json, size_t len, aws_creds *out, time_t *expiration, char *err,
                  size_t errlen)
{
	memset(out, 0, sizeof(*out));
	cJSON *o = cJSON_ParseWithLength(json, len);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "AccessKeyId");
	const cJSON *sk = cJSON_GetObjectItemCaseSensitive(o, "SecretAccessKey");
	const cJSON *tk = cJSON_GetObjectItemCaseSensitive(o, "Token");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(o, "Expiration");
	int rc = -1;
	if (!cJSON_IsObject(o))
		snprintf(err, errlen, "container credentials: answer is not a JSON object");
	else if (!cJSON_IsString(id) || !id->valuestring[0] || !cJSON_IsString(sk) ||
	         !sk->valuestring[0])
		snprintf(err, errlen,
		         "container credentials: AccessKeyId or SecretAccessKey missing");
	else if (tk && !cJSON_IsNull(tk) && !cJSON_IsString(tk))
		snprintf(err, errlen, "container credentials: Token is not a string");
	else if (!cJSON_IsString(ex) || parse_time(ex->valuestring, expiration))
		snprintf(err, errlen,
		         "container credentials: Expiration missing or not "
		         "YYYY-MM-DDTHH:MM:SSZ");
	else
		rc = 0;
	if (!rc) {
		out->access_key_id = strdup(id->valuestring);
		out->secret_access_key = strdup(sk->valuestring);
		if (cJSON_IsString(tk) && tk->valuestring[0])
			out->session_token = strdup(tk->valuestring);
		if (!out->access_key_id || !out->secret_access_key ||
		    (cJSON_IsString(tk) && tk->valuestring[0] && !out->session_token)) {
			aws_creds_clear(out);
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
		snprintf(out->source, sizeof(out->source), "container endpoint");
	}
	if (sk && cJSON_IsString(sk))
		OPENSSL_cleanse(sk->valuestring, strlen(sk->valuestring));
	if (tk && cJSON_IsString(tk))
		OPENSSL_cleanse(tk->valuestring, strlen(tk->valuestring));
	cJSON_Delete(o);
	return rc;
}

static void fetch(evutil_socket_t fd, short what, void *arg);

static void schedule(int seconds)
{
	struct timeval tv = {seconds, 0};
	event_add(ecs.timer, &tv);
}

static void failed(const char *why)
{
	log_warn("event=aws_credentials_failed source=container endpoint=%s:%d reason=\"%s\" "
	         "retry_s=%d cached=%s",
	         ecs.host, ecs.port, why, RETRY_S, ecs.have ? "yes" : "no");
	schedule(RETRY_S);
}

static void on_done(struct evhttp_request *req, void *arg)
{
	(void)arg;
	ecs.inflight = 0;
	char why[300];
	if (!req || evhttp_request_get_response_code(req) == 0) {
		failed("no answer (connection failed or timed out)");
		return;
	}
	int code = evhttp_request_get_response_code(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (code != 200) {
		snprintf(why, sizeof(why), "HTTP %d", code);
		failed(why);
		return;
	}
	if (len > BODY_MAX) {
		failed("answer larger than 64 KiB");
		return;
	}
	aws_creds c;
	time_t exp;
	const char *body = (const char *)evbuffer_pullup(in, (ssize_t)len);
	if (!body || aws_ecs_parse(body, len, &c, &exp, why, sizeof(why))) {
		failed(body ? why : "out of memory");
		return;
	}
	pthread_mutex_lock(&ecs_cache_lock);
	if (ecs.have)
		aws_creds_clear(&ecs.creds);
	ecs.creds = c;
	ecs.expiration = exp;
	ecs.have = 1;
	pthread_mutex_unlock(&ecs_cache_lock);
	long next = (long)(exp - time(NULL)) - REFRESH_BEFORE_S;
	next = next > REFRESH_MAX_S ? REFRESH_MAX_S : next < REFRESH_MIN_S ? REFRESH_MIN_S : next;
	char when[32];
	struct tm tm;
	gmtime_r(&exp, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	log_info("event=aws_credentials_refreshed source=container temporary=%s expires=%s "
	         "next_refresh_s=%ld",
	         c.session_token ? "yes" : "no", when, next);
	schedule((int)next);
}

static void fetch(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (ecs.inflight)
		return;
	char why[300];
	char *token = auth_token(why, sizeof(why));
	if (!token) {
		failed(why);
		return;
	}
	if (!ecs.conn) {
		ecs.conn =
		    evhttp_connection_base_new(ecs.base, ecs.dns, ecs.host, (uint16_t)ecs.port);
		if (ecs.conn)
			evhttp_connection_set_timeout(ecs.conn, 5);
	}
	struct evhttp_request *req = ecs.conn ? evhttp_request_new(on_done, NULL) : NULL;
	if (!req) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
		failed("out of memory");
		return;
	}
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", ecs.host);
	evhttp_add_header(h, "Accept", "application/json");
	if (*token)
		evhttp_add_header(h, "Authorization", token);
	OPENSSL_cleanse(token, strlen(token));
	free(token);
	ecs.inflight = 1;
	if (evhttp_make_request(ecs.conn, req, EVHTTP_REQ_GET, ecs.path)) {
		ecs.inflight = 0; /* libevent owns req either way; it is not touched again */
		failed("cannot send the request");
	}
}

int aws_ecs_start(struct event_base *base, struct evdns_base *dns, char *err, size_t errlen)
{
	if (ecs.timer)
		return 0;
	if (parse_endpoint(err, errlen))
		return -1;
	ecs.base = base;
	ecs.dns = dns;
	ecs.timer = evtimer_new(base, fetch, NULL);
	if (!ecs.timer) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	log_info("event=aws_credentials_source source=container endpoint=%s:%d", ecs.host,
	         ecs.port);
	schedule(0);
	return 0;
}

void aws_ecs_stop(void)
{
	if (ecs.conn)
		evhttp_connection_free(ecs.conn);
	if (ecs.timer)
		event_free(ecs.timer);
	pthread_mutex_lock(&ecs_cache_lock);
	if (ecs.have)
		aws_creds_clear(&ecs.creds);
	memset(&ecs, 0, sizeof(ecs));
	pthread_mutex_unlock(&ecs_cache_lock);
}

static int ecs_get_locked(aws_creds *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!ecs.timer) {
		snprintf(err, errlen, "container credentials endpoint not started");
		return -1;
	}
	if (!ecs.have) {
		snprintf(err, errlen, "container credentials not fetched yet from %s:%d", ecs.host,
		         ecs.port);
		return -1;
	}
	if (ecs.expiration <= time(NULL) + 60) {
		snprintf(err, errlen, "container credentials expired and could not be refreshed");
		return -1;
	}
	out->access_key_id = strdup(ecs.creds.access_key_id);
	out->secret_access_key = strdup(ecs.creds.secret_access_key);
	out->session_token = ecs.creds.session_token ? strdup(ecs.creds.session_token) : NULL;
	if (!out->access_key_id || !out->secret_access_key ||
	    (ecs.creds.session_token && !out->session_token)) {
		aws_creds_clear(out);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(out->source, sizeof(out->source), "container endpoint %s:%d", ecs.host, ecs.port);
	return 0;
}

int aws_ecs_get(aws_creds *out, char *err, size_t errlen)
{
	pthread_mutex_lock(&ecs_cache_lock);
	int rc = ecs_get_locked(out, err, errlen);
	pthread_mutex_unlock(&ecs_cache_lock);
	return rc;
}
