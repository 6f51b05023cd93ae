/* A blocking Kafka connection for the codec peer test: encode, send, receive, decode. */
#ifndef TURNOUT_TESTS_PEER_CONN_H
#define TURNOUT_TESTS_PEER_CONN_H

#include "wire/msg.h"

typedef struct peer_conn {
	int fd;            /* connected socket, -1 when closed */
	int32_t next_corr; /* correlation id of the next request */
	char err[512];     /* why the last call failed */
	int lenient;       /* accept bytes after the response body */
	size_t trailing;   /* bytes after the body in the last response */
	int got_response;  /* the last call received a response frame */
} peer_conn;

int peer_connect(peer_conn *c, const char *hostport);
void peer_close(peer_conn *c);
/* Sends api/version with req as body and decodes the response into resp
 * (allocated from a). The response must parse exactly; 0 on success. */
int peer_call(peer_conn *c, int16_t api, int16_t v, const void *req, void *resp, wire_arena *a);

#endif
