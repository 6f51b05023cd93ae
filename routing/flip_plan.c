/* The flip's judgement of a translation (see flip_plan.h). */
#include "routing/flip_plan.h"

#include <stdio.h>
#include <string.h>

static int consumed(char *const *topics, size_t n, const char *t)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(topics[i], t) == 0)
			return 1;
	return 0;
}

int flip_plan_check(const xlate_group_result *r, char *const *topics, size_t ntopics,
                    flip_summary *s, char *why, size_t whylen)
{
	int rc = 0;
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < r->n; i++) {
		const xlate_partition *p = &r->parts[i];
		s->parts++;
		switch (p->r.method) {
		case TRANSLATE_EXACT:
			s->exact++;
			break;
		case TRANSLATE_CHECKPOINT:
			s->checkpoint++;
			break;
		case TRANSLATE_CONSERVATIVE:
			s->conservative++;
			break;
		case TRANSLATE_NONE:
			s->none++;
			/* without a commit the group starts from auto.offset.reset on
			 * either cluster: nothing to translate, nothing guessed */
			if (rc == 0 && p->committed >= 0 && consumed(topics, ntopics, p->topic)) {
				snprintf(why, whylen,
				         "no translation for %s-%d (committed %lld, path %s%s%s): "
				         "seeding would leave it to auto.offset.reset",
				         p->topic, (int)p->partition, (long long)p->committed,
				         translate_path_name(p->r.path), p->r.note ? ", " : "",
				         p->r.note ? p->r.note : "");
				rc = -1;
			}
			continue;
		}
		if (p->r.rereads_max >= 0)
			s->rereads_max += p->r.rereads_max;
		else
			s->rereads_unknown = 1;
	}
	return rc;
}

flip_recover_decision flip_recover_decide(long here, long other)
{
	if (here < 0)
		return FLIP_RECOVER_RETRY; /* serving X without knowing could lose */
	if (here > 0)
		return other == 0 ? FLIP_RECOVER_SERVE : FLIP_RECOVER_REJOIN;
	if (other < 0)
		return FLIP_RECOVER_RETRY; /* X empty: the other may hold the commits */
	return other ? FLIP_RECOVER_FLIP : FLIP_RECOVER_SERVE;
}
