/*
 * Sidecar injection core: decides whether a Pod gets turnout and builds the
 * RFC 6902 JSONPatch that adds it. Pure: no I/O, no globals. The admission
 * webhook (inject_webhook.c via inject_review.c) and `turnout inject`
 * (cmd_inject.c) are its two front ends.
 */
#ifndef TURNOUT_PROXY_INJECT_H
#define TURNOUT_PROXY_INJECT_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Pod annotations read or written by the injector. */
#define INJECT_ANN_INJECT  "turnout.io/inject"            /* "true": opt in */
#define INJECT_ANN_STATUS  "turnout.io/status"            /* "injected": set by us */
#define INJECT_ANN_CONFIG  "turnout.io/config"            /* route ConfigMap name */
#define INJECT_ANN_ENV     "turnout.io/bootstrap-env"     /* env vars holding the bootstrap */
#define INJECT_ANN_CLUSTER "turnout.io/bootstrap-cluster" /* legacy|target: what they point at */
#define INJECT_ANN_SECRETS "turnout.io/secrets"           /* Secrets mounted for the sidecar */
#define INJECT_ANN_SECENV  "turnout.io/secret-env"        /* VAR=secret/key for the sidecar */

#define INJECT_DEFAULT_ENV   "KAFKA_BOOTSTRAP_SERVERS"
#define INJECT_SIDECAR_NAME  "turnout"
#define INJECT_VOLUME        "turnout-config"
#define INJECT_CONFIG_DIR    "/etc/turnout"
#define INJECT_CONFIG_KEY    "turnout.json" /* key in the route ConfigMap */
#define INJECT_BINARY        "/usr/local/bin/turnout"
#define INJECT_BOOTSTRAP_ENV "TURNOUT_BOOTSTRAP"    /* sidecar env: the app's original value */
#define INJECT_SECRET_DIR    "/etc/turnout-secrets" /* Secret s is mounted at <dir>/s */
#define INJECT_SECRET_VOLUME "turnout-secret-"      /* + index: the Secrets' volume names */
#define INJECT_MAX_SECRETS   8                      /* per annotation */

typedef enum inject_mode {
	INJECT_MODE_NATIVE,    /* init container with restartPolicy Always (Kubernetes >= 1.29) */
	INJECT_MODE_CONTAINER, /* first entry of containers, held by postStart (older clusters) */
} inject_mode;

typedef struct inject_opts {
	const char *image;          /* turnout's image; required */
	const char *pull_policy;    /* imagePullPolicy, NULL leaves it to the cluster */
	const char *self_namespace; /* the webhook's namespace: never injected; may be NULL */
	inject_mode mode;
	int listen_port;         /* turnout's bootstrap port on 127.0.0.1 (9092) */
	int admin_port;          /* turnout's admin HTTP port on 127.0.0.1 (9644) */
	const char *cpu_request; /* sidecar resources; NULL omits */
	const char *mem_request; /* "" */
	const char *mem_limit;   /* "" */
} inject_opts;

typedef enum inject_result {
	INJECT_PATCHED, /* *patch holds the operations */
	INJECT_SKIPPED, /* nothing to do (not opted in, already injected, excluded namespace) */
	INJECT_REFUSED, /* opted in but unusable: why says what the user must fix */
	INJECT_FAILED,  /* out of memory */
} inject_result;

/* Sets the defaults above (ports 9092/9644, native mode, modest resources). */
void inject_opts_init(inject_opts *o, const char *image);

/*
 * Reads one sidecar option flag at argv[*i] (--image, --sidecar-mode
 * native|container, --pull-policy, --cpu-request, --memory-request,
 * --memory-limit), shared by both front ends. Returns 1 and advances *i past
 * its value when it was one, 0 when argv[*i] is something else, -1 with err
 * set when its value is missing or wrong. Values point into argv.
 */
int inject_opts_flag(inject_opts *o, int argc, char **argv, int *i, char *err, size_t errlen);

/* Help text for the flags above. */
#define INJECT_OPTS_USAGE                                                                          \
	"  --image IMAGE            turnout image for the sidecar (required)\n"                    \
	"  --sidecar-mode MODE      native (init container, Kubernetes >= 1.29, default) or\n"     \
	"                           container (first app container, older clusters)\n"             \
	"  --pull-policy POLICY     imagePullPolicy of the sidecar (default: cluster default)\n"   \
	"  --cpu-request Q, --memory-request Q, --memory-limit Q   sidecar resources ('' omits)\n"

/*
 * pod: a v1 Pod object (or a pod template: metadata + spec). ns: the
 * namespace it is created in (AdmissionReview request.namespace; a Pod made
 * by a controller has none of its own yet). On INJECT_PATCHED *patch is a
 * new JSON array the caller frees; otherwise *patch is NULL. why always gets
 * a one-line reason.
 */
inject_result inject_pod(const cJSON *pod, const char *ns, const inject_opts *o, cJSON **patch,
                         char *why, size_t whylen);

/* Writes s as a JSON Pointer reference token ('~' -> "~0", '/' -> "~1"). */
int inject_pointer_escape(const char *s, char *out, size_t outlen);

/*
 * Applies a JSONPatch made of "add" and "replace" operations (all that
 * inject_pod emits) to doc in place, for previews and tests. Returns 0, or
 * -1 with err set; doc may be partly patched on error.
 */
int inject_apply(cJSON *doc, const cJSON *patch, char *err, size_t errlen);

#endif
