# The OpenAPI document, and what checks the API from outside: the JSON
# fuzz run, the libFuzzer target of the router and the input checks, and a
# sanitizer build of hotspotd for them.  Included from api/api.mk.
#
#   make build/openapi.json     base.json + every api/openapi/*.json fragment,
#                               merged by api/openapi/merge.jq (docs/openapi.md)
#   make fuzz-api [FUZZ_TIME=300]   a long libFuzzer run of the router and checks
#
# The merged document is compiled into hotspotd (api/openapi.c includes
# build/gen/openapi.json.inc, its bytes as xxd -i writes them), which serves
# it at GET /api/v1/openapi.json.

OPENAPI_BASE := api/openapi/base.json
OPENAPI_FRAGMENTS := $(filter-out $(OPENAPI_BASE),$(sort $(wildcard api/openapi/*.json)))
OPENAPI_DOC := $(BUILD)/openapi.json
OPENAPI_INC := $(BUILD)/gen/openapi.json.inc
# The fragments' names, rewritten when one is added or removed, so that the
# document is merged again then too.
OPENAPI_LIST := $(BUILD)/gen/openapi-fragments.txt

$(OPENAPI_LIST): FORCE
	@mkdir -p $(@D)
	@echo $(OPENAPI_FRAGMENTS) | cmp -s - $@ || echo $(OPENAPI_FRAGMENTS) > $@

# Fails, naming the files, on an operation two fragments define (merge.jq).
$(OPENAPI_DOC): api/openapi/merge.jq $(OPENAPI_BASE) $(OPENAPI_FRAGMENTS) $(OPENAPI_LIST) $(wildcard VERSION) \
                | $(DEPS_STAMP)
	@mkdir -p $(@D)
	jq -n -c --arg version '$(VERSION)' -f api/openapi/merge.jq $(OPENAPI_BASE) \
		$(OPENAPI_FRAGMENTS) > $@.tmp || { rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

$(OPENAPI_INC): $(OPENAPI_DOC)
	@mkdir -p $(@D)
	xxd -i < $< > $@.tmp
	mv $@.tmp $@

$(BUILD)/obj/api/openapi.o $(BUILD)/san/api/openapi.o: $(OPENAPI_INC)
$(BUILD)/obj/api/openapi.o $(BUILD)/san/api/openapi.o: API_CFLAGS += -I$(BUILD)/gen

ALL_TARGETS += $(OPENAPI_DOC)

# ---- hotspotd with ASan and UBSan, for the fuzz run ---------------------------
HOTSPOTD_SAN := $(BUILD)/san/hotspotd

$(HOTSPOTD_SAN): $(API_SAN_OBJS) $(API_JOBS_SAN_OBJS) $(HSCOMMON_SAN_LIB) $(ROS_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(API_LDLIBS) $(ROS_LDLIBS)

ALL_TARGETS += $(HOTSPOTD_SAN)

# ---- libFuzzer: api_route_find and api/valid.c ----------------------------------
# http.c and valid.c are compiled into the target with clang; the server
# part of http.c is linked but never started.
API_FUZZ := $(BUILD)/fuzz/fuzz_api_route
API_FUZZ_SRCS := tests/fuzz/fuzz_api_route.c api/http.c api/valid.c common/log.c common/db.c common/text.c \
                 common/config.c

ifneq ($(shell command -v $(FUZZ_CC) 2>/dev/null),)
ALL_TARGETS += $(API_FUZZ)
endif
LINT_SOURCES += tests/fuzz/fuzz_api_route.c

$(API_FUZZ): $(API_FUZZ_SRCS) api/http.h api/valid.h api/module.h $(wildcard common/*.h) \
             | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -g -O1 -D_GNU_SOURCE -I$(ROOT) $(HSCOMMON_CFLAGS) \
		-DHS_VERSION='"$(VERSION)"' \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(API_FUZZ_SRCS) -lmicrohttpd -ljansson -lpq -lssl -lcrypto -lpthread

.PHONY: fuzz-api
fuzz: fuzz-api
fuzz-api: $(API_FUZZ)
	@mkdir -p $(BUILD)/fuzz/corpus-api-route
	$(API_FUZZ) -max_total_time=$(FUZZ_TIME) -max_len=4096 -artifact_prefix=$(BUILD)/fuzz/ \
		$(BUILD)/fuzz/corpus-api-route
