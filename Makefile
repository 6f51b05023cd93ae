# turnout — build, test, fuzz and demo.
#
#   make demo    set up everything and run the main job on embedded clusters
#   make test    set up everything and run every test (ends "N passed, N failed")
#   make fuzz    run every libFuzzer target for FUZZ_TIME seconds each
#   make         build the codec, the unit tests and the test clusters
#   make bench   measure turnout against a direct connection and haproxy
#
# Generated code goes to build/gen, objects to build/<flavour>/; nothing
# under build/ is committed.

CC        ?= cc
CLANG     ?= clang
PYTHON    ?= python3
BUILD     := build
GEN       := $(BUILD)/gen
FUZZ_TIME ?= 60
FUZZ_SMOKE_TIME ?= 3

MODERN_RDKAFKA := $(BUILD)/librdkafka-2.15.1

WARN      := -Wall -Wextra -Werror
BASE      := -std=c11 -D_DEFAULT_SOURCE $(WARN) -g -I. -I$(GEN)
DEPS      := -MMD -MP
REL_FLAGS := $(BASE) -O2
SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_FLAGS := $(BASE) -O1 $(SAN)
FUZZ_FLAGS := $(BASE) -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all

SCHEMAS   := $(sort $(wildcard wire/schema/*.def))
SCHEMA_STEMS := $(basename $(notdir $(SCHEMAS)))
WIRE_SRC  := $(sort $(wildcard wire/*.c))
GEN_SRC   := $(GEN)/wire_msgs.c
FILL_SRC  := $(GEN)/wire_msgs_fill.c tests/unit/fill_support.c
UNIT_SRC  := $(sort $(wildcard tests/unit/*.c))
CLUSTER_SRC := $(sort $(wildcard tests/cluster/*.c))
CLIENT_SRC := $(sort $(wildcard tests/clients/*.c))
PROXY_SRC := $(sort $(wildcard proxy/*.c))
ROUTING_SRC := $(sort $(wildcard routing/*.c))
MIRROR_SRC := $(sort $(wildcard tests/mirror/*.c))
# routing/translate.c and verify.c are pure: the test mirror links them for
# its MM2 checkpoint emulation.
MIRROR_ROUTING := routing/translate.c routing/verify.c
# libevent_core + libevent_extra rather than libevent (the two in one):
# libevent_openssl links libevent_core, so -levent mapped the core twice.
PROXY_LIBS := -levent_openssl -levent_core -levent_extra -lcjson -lyaml -lssl -lcrypto $$(pkg-config --libs rdkafka) \
	-lpthread

obj = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

.PHONY: turnout all deps build test test-run unit fuzz fuzz-smoke fuzz-build demo demo-run format format-check clean \
	cluster cluster-modern mirror mirror-modern image bench bench-quick bench-run

all: build

# ---- code generation ----

$(GEN)/.stamp: wire/codegen.py $(SCHEMAS)
	@mkdir -p $(GEN)
	$(PYTHON) wire/codegen.py $(GEN) $(SCHEMAS)
	@touch $@

$(GEN)/wire_msgs.c $(GEN)/wire_msgs.h $(GEN)/wire_msgs_fill.c $(GEN)/wire_msgs_fill.h: $(GEN)/.stamp

# ---- objects, one tree per flavour ----

$(BUILD)/rel/%.o: %.c $(GEN)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(REL_FLAGS) $(DEPS) -c $< -o $@

$(BUILD)/asan/%.o: %.c $(GEN)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) $(DEPS) -c $< -o $@

$(BUILD)/fuzzobj/%.o: %.c $(GEN)/.stamp
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) $(DEPS) -c $< -o $@

# ---- libraries and programs ----

$(BUILD)/rel/libwire.a: $(call obj,rel,$(WIRE_SRC) $(GEN_SRC))
	ar rcs $@ $^

$(BUILD)/asan/unit_tests: $(call obj,asan,$(WIRE_SRC) $(GEN_SRC) $(FILL_SRC) $(UNIT_SRC) \
		$(filter-out proxy/main.c,$(PROXY_SRC)) $(ROUTING_SRC))
	$(CC) $(ASAN_FLAGS) $^ -o $@ $(PROXY_LIBS)

PEER_SRC := $(sort $(wildcard tests/peer/*.c))

# The proxy: an optimised build for use, a sanitized one for the tests.
$(BUILD)/rel/turnout: $(call obj,rel,$(PROXY_SRC) $(ROUTING_SRC) $(WIRE_SRC) $(GEN_SRC))
	$(CC) $(REL_FLAGS) $^ -o $@ $(PROXY_LIBS)

$(BUILD)/asan/turnout: $(call obj,asan,$(PROXY_SRC) $(ROUTING_SRC) $(WIRE_SRC) $(GEN_SRC))
	$(CC) $(ASAN_FLAGS) $^ -o $@ $(PROXY_LIBS)

turnout: $(BUILD)/rel/turnout

# The codec against real brokers (run by tests/integration/test_wire_peer.py).
$(BUILD)/asan/wire_peer: $(call obj,asan,$(WIRE_SRC) $(GEN_SRC) $(PEER_SRC))
	$(CC) $(ASAN_FLAGS) $^ -o $@

unit: $(BUILD)/asan/unit_tests
	$(BUILD)/asan/unit_tests

# The test clusters: one binary per librdkafka (Debian's 2.0.2, modern 2.15.1).
$(BUILD)/debian/mockcluster: $(CLUSTER_SRC) $(wildcard tests/cluster/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O1 -g $(CLUSTER_SRC) -o $@ \
		$$(pkg-config --cflags --libs rdkafka)

$(BUILD)/modern/mockcluster: $(CLUSTER_SRC) $(wildcard tests/cluster/*.h) $(MODERN_RDKAFKA)/.built
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O1 -g $(CLUSTER_SRC) -o $@ \
		-I$(MODERN_RDKAFKA)/include \
		$$(PKG_CONFIG_PATH=$(MODERN_RDKAFKA)/lib/pkgconfig pkg-config --static --libs rdkafka-static)

$(MODERN_RDKAFKA)/.built:
	bash scripts/build-librdkafka.sh

# The librdkafka test client of the client matrix, against both librdkafkas.
$(BUILD)/debian/rdk_client: $(CLIENT_SRC) $(wildcard tests/clients/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O1 -g -I. $(CLIENT_SRC) -o $@ \
		$$(pkg-config --cflags --libs rdkafka)

$(BUILD)/modern/rdk_client: $(CLIENT_SRC) $(wildcard tests/clients/*.h) $(MODERN_RDKAFKA)/.built
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O1 -g -I. $(CLIENT_SRC) -o $@ \
		-I$(MODERN_RDKAFKA)/include \
		$$(PKG_CONFIG_PATH=$(MODERN_RDKAFKA)/lib/pkgconfig pkg-config --static --libs rdkafka-static)

cluster: $(BUILD)/debian/mockcluster
cluster-modern: $(BUILD)/modern/mockcluster

# The MM2-faithful test mirror (tests/mirror), one per librdkafka like the clusters.
$(BUILD)/debian/mm2mirror: $(MIRROR_SRC) $(MIRROR_ROUTING) $(wildcard tests/mirror/*.h routing/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_DEFAULT_SOURCE $(WARN) -O1 -g -I. $(MIRROR_SRC) $(MIRROR_ROUTING) -o $@ \
		$$(pkg-config --cflags --libs rdkafka) -lpthread

$(BUILD)/modern/mm2mirror: $(MIRROR_SRC) $(MIRROR_ROUTING) $(wildcard tests/mirror/*.h routing/*.h) \
		$(MODERN_RDKAFKA)/.built
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_DEFAULT_SOURCE $(WARN) -O1 -g -I. $(MIRROR_SRC) $(MIRROR_ROUTING) -o $@ \
		-I$(MODERN_RDKAFKA)/include \
		$$(PKG_CONFIG_PATH=$(MODERN_RDKAFKA)/lib/pkgconfig pkg-config --static --libs rdkafka-static) \
		-lpthread

mirror: $(BUILD)/debian/mm2mirror
mirror-modern: $(BUILD)/modern/mm2mirror

build: $(BUILD)/rel/turnout $(BUILD)/asan/turnout $(BUILD)/rel/libwire.a $(BUILD)/asan/unit_tests $(BUILD)/asan/wire_peer \
	$(BUILD)/debian/mockcluster $(BUILD)/debian/rdk_client $(BUILD)/debian/mm2mirror

# ---- fuzzing: one libFuzzer binary per schema file, plus frame/header ----

FUZZ_LIB_OBJS := $(call obj,fuzzobj,$(WIRE_SRC) $(GEN_SRC))
FUZZ_TARGETS  := $(addprefix $(BUILD)/fuzz/fuzz_,$(SCHEMA_STEMS)) $(BUILD)/fuzz/fuzz_frame \
	$(BUILD)/fuzz/fuzz_config $(BUILD)/fuzz/fuzz_scram $(BUILD)/fuzz/fuzz_awscreds \
	$(BUILD)/fuzz/fuzz_sasl $(BUILD)/fuzz/fuzz_mm2_checkpoint $(BUILD)/fuzz/fuzz_mm2_offset_sync \
	$(BUILD)/fuzz/fuzz_admission $(BUILD)/fuzz/fuzz_yaml $(BUILD)/fuzz/fuzz_inplace \
	$(BUILD)/fuzz/fuzz_admin_text $(BUILD)/fuzz/fuzz_recbatch $(BUILD)/fuzz/fuzz_coord_record

$(BUILD)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(call obj,fuzzobj,proxy/config.c proxy/log.c \
		proxy/sha256.c proxy/secconfig.c routing/cfgjson.c routing/routes.c \
		routing/mirror_config.c routing/mm2_names.c)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ -lcjson -lcrypto

# SCRAM server messages and the AWS shared credentials file: text from a
# broker or a file, parsed by hand.
$(BUILD)/fuzz/fuzz_scram: tests/fuzz/fuzz_scram.c $(call obj,fuzzobj,proxy/scram.c)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ -lcrypto

# Broker answers to turnout's SASL exchange (SaslHandshake/SaslAuthenticate
# through the codec, then the mechanism's parser).
$(BUILD)/fuzz/fuzz_sasl: tests/fuzz/fuzz_sasl.c $(FUZZ_LIB_OBJS) $(call obj,fuzzobj,proxy/sasl.c \
		proxy/scram.c proxy/msk_iam.c proxy/sigv4.c proxy/aws_creds.c proxy/aws_ecs.c \
		proxy/secconfig.c proxy/frameio.c proxy/log.c routing/cfgjson.c)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ -levent -lcjson -lcrypto

$(BUILD)/fuzz/fuzz_awscreds: tests/fuzz/fuzz_awscreds.c $(call obj,fuzzobj,proxy/aws_creds.c \
		proxy/aws_ecs.c proxy/log.c)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ -levent -lcjson -lcrypto

# MM2 record decoders (one binary per record kind, same source).
$(BUILD)/fuzz/fuzz_mm2_checkpoint: tests/fuzz/fuzz_mm2_records.c \
		$(call obj,fuzzobj,routing/mm2_records.c routing/mm2_names.c)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer -DFUZZ_CHECKPOINT=1 $^ -o $@

$(BUILD)/fuzz/fuzz_mm2_offset_sync: tests/fuzz/fuzz_mm2_records.c \
		$(call obj,fuzzobj,routing/mm2_records.c routing/mm2_names.c)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer -DFUZZ_CHECKPOINT=0 $^ -o $@

# Records sidecars write to the cutover control topic (routing/coord_record.c).
$(BUILD)/fuzz/fuzz_coord_record: tests/fuzz/fuzz_coord_record.c \
		$(call obj,fuzzobj,routing/coord_record.c routing/cfgjson.c routing/routes.c)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ -lcjson -lm

$(BUILD)/fuzz/fuzz_admission: tests/fuzz/fuzz_admission.c \
		$(call obj,fuzzobj,proxy/inject.c proxy/inject_review.c)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ -lcjson -lcrypto

# The admin token file and Authorization header, and logfmt -> JSON log lines.
$(BUILD)/fuzz/fuzz_admin_text: tests/fuzz/fuzz_admin_text.c \
		$(call obj,fuzzobj,proxy/admin_auth.c proxy/sha256.c proxy/log.c)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ -lcjson -lcrypto

$(BUILD)/fuzz/fuzz_yaml: tests/fuzz/fuzz_yaml.c $(call obj,fuzzobj,proxy/yamljson.c)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ -lcjson -lyaml -lm

# proxy/inplace.c against rewrite.c (needs the generated comparison functions).
$(BUILD)/fuzz/fuzz_inplace: tests/fuzz/fuzz_inplace.c $(FUZZ_LIB_OBJS) \
		$(call obj,fuzzobj,proxy/inplace.c proxy/frameio.c proxy/rewrite.c $(FILL_SRC))
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ -levent

# Record batch ids in Produce requests (proxy/recbatch.c, producer flips).
$(BUILD)/fuzz/fuzz_recbatch: tests/fuzz/fuzz_recbatch.c $(call obj,fuzzobj,proxy/recbatch.c)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@

$(BUILD)/fuzz/fuzz_frame: tests/fuzz/fuzz_frame.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_msg.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer -DFUZZ_SCHEMA='"$*"' $^ -o $@

$(BUILD)/fuzz/mkcorpus: $(call obj,asan,tests/fuzz/mkcorpus.c $(WIRE_SRC) $(GEN_SRC) $(FILL_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) $^ -o $@

$(BUILD)/fuzz/corpus/.stamp: $(BUILD)/fuzz/mkcorpus $(wildcard tests/fuzz/seeds/*/*)
	rm -rf $(BUILD)/fuzz/corpus && mkdir -p $(BUILD)/fuzz/corpus/frame
	$(BUILD)/fuzz/mkcorpus $(BUILD)/fuzz/corpus
	cp -r tests/fuzz/seeds/config $(BUILD)/fuzz/corpus/config
	cp -r tests/fuzz/seeds/mm2_checkpoint $(BUILD)/fuzz/corpus/mm2_checkpoint
	cp -r tests/fuzz/seeds/mm2_offset_sync $(BUILD)/fuzz/corpus/mm2_offset_sync
	cp -r tests/fuzz/seeds/scram $(BUILD)/fuzz/corpus/scram
	cp -r tests/fuzz/seeds/awscreds $(BUILD)/fuzz/corpus/awscreds
	cp -r tests/fuzz/seeds/sasl $(BUILD)/fuzz/corpus/sasl
	cp -r tests/fuzz/seeds/admission $(BUILD)/fuzz/corpus/admission
	cp -r tests/fuzz/seeds/yaml $(BUILD)/fuzz/corpus/yaml
	cp -r tests/fuzz/seeds/admin_text $(BUILD)/fuzz/corpus/admin_text
	cp -r tests/fuzz/seeds/recbatch $(BUILD)/fuzz/corpus/recbatch
	cp -r tests/fuzz/seeds/coord_record $(BUILD)/fuzz/corpus/coord_record
	bash tests/fuzz/inplace_seeds.sh $(BUILD)/fuzz/corpus
	@touch $@

fuzz-build: $(FUZZ_TARGETS) $(BUILD)/fuzz/corpus/.stamp

# Each target runs on a copy of its seeds so runs never grow the seed set.
fuzz: fuzz-build
	FUZZ_TIME=$(FUZZ_TIME) bash tests/fuzz/run.sh $(BUILD)/fuzz

fuzz-smoke: fuzz-build
	FUZZ_TIME=$(FUZZ_SMOKE_TIME) bash tests/fuzz/run.sh $(BUILD)/fuzz

# The container image (deploy/Dockerfile). Needs a docker daemon; no test
# depends on it (tests/deploy/test_image.py checks the image's filesystem
# without docker).
VERSION := $(shell sed -n 's/^#define TURNOUT_VERSION "\(.*\)"/\1/p' proxy/commands.h)

image:
	docker build -f deploy/Dockerfile -t turnout:$(VERSION) .

# ---- the README's commands ----

deps:
	bash scripts/deps.sh

test: deps
	$(MAKE) --no-print-directory test-run

test-run: format-check build $(BUILD)/modern/mockcluster $(BUILD)/modern/rdk_client \
		$(BUILD)/modern/mm2mirror $(BUILD)/modern/demo_client fuzz-build
	bash tests/run_all.sh

# The demo's application (demo/demo_client.c): a producer and a group
# member on librdkafka 2.15.1, linked like the modern test clusters.
$(BUILD)/modern/demo_client: demo/demo_client.c tests/clients/rdk.h $(MODERN_RDKAFKA)/.built
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O1 -g -I. demo/demo_client.c -o $@ \
		-I$(MODERN_RDKAFKA)/include \
		$$(PKG_CONFIG_PATH=$(MODERN_RDKAFKA)/lib/pkgconfig pkg-config --static --libs rdkafka-static)

DEMO_BINS := $(BUILD)/rel/turnout $(BUILD)/modern/mockcluster $(BUILD)/modern/mm2mirror \
	$(BUILD)/modern/demo_client

# DEMO_ARGS passes options to scripts/demo.sh (e.g. DEMO_ARGS=--no-tty).
demo: deps
	$(MAKE) --no-print-directory demo-run

demo-run: $(DEMO_BINS)
	bash scripts/demo.sh $(DEMO_ARGS)

# ---- benchmark (bench/README.md) ----

BENCH_SRC := $(sort $(wildcard bench/*.c))

# The load generator links librdkafka 2.15.1 statically, like the modern
# test clusters, so it speaks the same current protocol versions.
$(BUILD)/bench/loadgen: $(BENCH_SRC) bench/loadgen.h $(MODERN_RDKAFKA)/.built
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_DEFAULT_SOURCE $(WARN) -O2 -g -I. $(BENCH_SRC) -o $@ \
		-I$(MODERN_RDKAFKA)/include \
		$$(PKG_CONFIG_PATH=$(MODERN_RDKAFKA)/lib/pkgconfig pkg-config --static --libs rdkafka-static)

BENCH_BINS := $(BUILD)/rel/turnout $(BUILD)/modern/mockcluster $(BUILD)/bench/loadgen

# BENCH_ARGS passes options to bench/run.py (e.g. BENCH_ARGS="--reps 5").
bench: ; bash scripts/deps.sh --bench && $(MAKE) --no-print-directory bench-run BENCH_MODE=full
bench-quick: ; bash scripts/deps.sh --bench && $(MAKE) --no-print-directory bench-run BENCH_MODE=quick
bench-run: $(BENCH_BINS)
	nice -n 0 $(PYTHON) bench/run.py --mode $(BENCH_MODE) $(BENCH_ARGS)

# ---- housekeeping ----

FORMAT_FILES = $(shell git ls-files '*.c' '*.h')

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)/rel $(BUILD)/asan $(BUILD)/fuzz $(BUILD)/fuzzobj $(BUILD)/gen \
		$(BUILD)/debian $(BUILD)/modern $(BUILD)/bench

-include $(shell find $(BUILD)/rel $(BUILD)/asan $(BUILD)/fuzzobj -name '*.d' 2>/dev/null)
