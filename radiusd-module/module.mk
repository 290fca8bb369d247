# radiusd-module/: rlm_hotspot.so, the module the stock FreeRADIUS server
# loads (the generated raddb puts $(BUILD) first in its libdir).
#
# FreeRADIUS's headers, the fetched ones included, come in through -isystem
# so that our warnings stay strict for our code without failing on theirs.
# The object depends on $(FR_STAMP): new headers (a server upgrade) rebuild it.

RLM_HOTSPOT      := $(BUILD)/rlm_hotspot.so
RLM_SRCS         := $(wildcard radiusd-module/*.c)
RLM_HDRS         := $(wildcard radiusd-module/*.h)
RLM_OBJS         := $(patsubst %.c,$(BUILD)/obj/%.o,$(RLM_SRCS))
RLM_PQ_CFLAGS    := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
RLM_CFLAGS       := $(patsubst -I%,-isystem %,$(filter -I%,$(FR_CFLAGS) $(RLM_PQ_CFLAGS))) \
                    $(filter-out -I%,$(FR_CFLAGS)) -fvisibility=hidden -pthread
# -z defs makes a misspelt server function a link error instead of a load
# error; the libraries are the ones the server itself runs with.
RLM_LDFLAGS      := -shared -Wl,-z,defs -Wl,-z,relro -Wl,-z,now -Wl,--as-needed \
                    -L$(FR_LIBDIR) -Wl,-rpath,$(FR_LIBDIR)
RLM_LDLIBS       := -lfreeradius-server -lfreeradius-radius -ltalloc -lpq -lpthread -lm

ALL_TARGETS  += $(RLM_HOTSPOT)
TEST_SUITES  += tests/integration/radius_config.sh tests/integration/radius_auth.sh \
                tests/integration/radius_acct.sh tests/integration/radius_install.sh
LINT_SOURCES += $(RLM_SRCS) $(RLM_HDRS)

# Unit tests of the pure logic (hs_logic.c builds without FreeRADIUS),
# with the sanitizers like every unit test.
RLM_UNIT_BIN := $(BUILD)/tests/unit/test_rlm_logic
ALL_TARGETS  += $(RLM_UNIT_BIN)
TEST_SUITES  += $(RLM_UNIT_BIN)
LINT_SOURCES += tests/unit/test_rlm_logic.c

$(BUILD)/san/radiusd-module/hs_logic.o: radiusd-module/hs_logic.c radiusd-module/hs_logic.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/san/tests/unit/test_rlm_logic.o: tests/unit/test_rlm_logic.c radiusd-module/hs_logic.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) -c $< -o $@

$(RLM_UNIT_BIN): $(BUILD)/san/tests/unit/test_rlm_logic.o $(BUILD)/san/radiusd-module/hs_logic.o
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka -lpthread -lm

# The routers cache file's format (hs_cache.c builds without FreeRADIUS too).
RLM_CACHE_BIN := $(BUILD)/tests/unit/test_rlm_cache
ALL_TARGETS   += $(RLM_CACHE_BIN)
TEST_SUITES   += $(RLM_CACHE_BIN)
LINT_SOURCES  += tests/unit/test_rlm_cache.c

$(BUILD)/san/radiusd-module/hs_cache.o: radiusd-module/hs_cache.c radiusd-module/hs_cache.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/san/tests/unit/test_rlm_cache.o: tests/unit/test_rlm_cache.c radiusd-module/hs_cache.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) -c $< -o $@

$(RLM_CACHE_BIN): $(BUILD)/san/tests/unit/test_rlm_cache.o $(BUILD)/san/radiusd-module/hs_cache.o
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka

# The batching queue (hs_batch.c builds without FreeRADIUS too).
RLM_BATCH_BIN := $(BUILD)/tests/unit/test_rlm_batch
ALL_TARGETS   += $(RLM_BATCH_BIN)
TEST_SUITES   += $(RLM_BATCH_BIN)
LINT_SOURCES  += tests/unit/test_rlm_batch.c

$(BUILD)/san/radiusd-module/hs_batch.o: radiusd-module/hs_batch.c radiusd-module/hs_batch.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/san/tests/unit/test_rlm_batch.o: tests/unit/test_rlm_batch.c radiusd-module/hs_batch.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) -c $< -o $@

$(RLM_BATCH_BIN): $(BUILD)/san/tests/unit/test_rlm_batch.o $(BUILD)/san/radiusd-module/hs_batch.o
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka -lpthread -lm

# The server's version is read when compiling (not when make starts), since
# "make" may be what installs the server.
$(BUILD)/obj/radiusd-module/%.o: radiusd-module/%.c radiusd-module/fr-server-version.sh $(FR_STAMP)
	@mkdir -p $(@D)
	frv=$$(bash radiusd-module/fr-server-version.sh) && \
	$(CC) $(CFLAGS_BASE) $(RLM_CFLAGS) -DHS_FR_SERVER_VERSION=$$frv -MMD -MP -c $< -o $@

$(RLM_HOTSPOT): $(RLM_OBJS)
	@mkdir -p $(@D)
	$(CC) $(RLM_LDFLAGS) -o $@ $^ $(RLM_LDLIBS)

-include $(RLM_OBJS:.o=.d)
