/*
 * config_fixture.h - a broker configuration built from server.properties
 * text, as the broker builds it from its file, for the unit programs that
 * test what a setting does (test_kafka_config, test_log_config,
 * test_replica_selector).
 */
#ifndef SM_TEST_CONFIG_FIXTURE_H
#define SM_TEST_CONFIG_FIXTURE_H

#include <string.h>

#include "kafka_config.h"
#include "properties.h"

/* cfg from the properties text; 0, or -1 with err saying why (the text
 * does not parse, or a value is refused). */
static inline int cf_load(sm_kafka_config_t *cfg, const char *text, char *err, size_t errlen)
{
	sm_props_t p;
	sm_props_init(&p);
	if (sm_props_parse(&p, text, strlen(text), err, errlen)) {
		sm_props_free(&p);
		return -1;
	}
	int r = sm_kafka_config_from_props(cfg, &p, err, errlen);
	sm_props_free(&p);
	return r;
}

#endif /* SM_TEST_CONFIG_FIXTURE_H */
