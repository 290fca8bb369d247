# api/: hotspotd, the daemon and its admin commands.  The job runtime's
# sources come with their own fragment (api/jobs.mk); everything else in
# api/ is built here.

include api/jobs.mk

API_SRCS := $(filter-out $(API_JOBS_SRCS),$(wildcard api/*.c))
API_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(API_SRCS))
API_SAN_OBJS := $(patsubst %.c,$(BUILD)/san/%.o,$(API_SRCS))
API_CFLAGS := $(HSCOMMON_CFLAGS)
# Everything of hotspotd but main(), sanitized, for the unit tests to link.
API_SAN_LIB := $(BUILD)/san/libhsapi.a
API_SAN_LIB_OBJS := $(filter-out $(BUILD)/san/api/main.o,$(API_SAN_OBJS)) \
                    $(API_JOBS_SAN_OBJS)
API_LDLIBS := -lpq -lmicrohttpd -ljansson -lcurl -lssl -lcrypto -lpthread -lqrencode \
              $(API_COA_LDLIBS)
HOTSPOTD := $(BUILD)/hotspotd

# Unit tests of api/: each links the sanitizer build of the files it tests.
API_TEST_BINS := $(BUILD)/tests/unit/test_http $(BUILD)/tests/unit/test_migrate \
                 $(BUILD)/tests/unit/test_coa $(BUILD)/tests/unit/test_api_auth
# Every tests/integration/api_*.sh is an API suite.
API_INTEGRATION := tests/integration/hotspotd_config.sh \
                   tests/integration/hotspotd_migrate.sh \
                   tests/integration/hotspotd_health.sh \
                   $(sort $(wildcard tests/integration/api_*.sh))

# The NAS stand-in of the disconnect suite: checks Disconnect-Requests as a
# router does, with OpenSSL alone (not the library under test).
NAS_COA := $(BUILD)/tests/nas-coa
NAS_COA_OBJ := $(BUILD)/obj/tests/sim/nas_coa.o
API_INTEGRATION += tests/integration/disconnect.sh

# The disconnect fallback (router.kick) against the router simulator.
API_INTEGRATION += tests/integration/disconnect_fallback.sh

# common/crypto.c (APP_KEY, sealed router passwords) is tested here, with
# the programs that link OpenSSL, so that common/'s other tests need not.
CRYPTO_UNIT_BIN := $(BUILD)/tests/unit/test_crypto
API_TEST_BINS += $(CRYPTO_UNIT_BIN)

# api/sms.c's renderer, masking and configuration checks (no network).
SMS_UNIT_BIN := $(BUILD)/tests/unit/test_sms
API_TEST_BINS += $(SMS_UNIT_BIN)

ALL_TARGETS += $(HOTSPOTD) $(API_TEST_BINS) $(NAS_COA)
TEST_SUITES += $(API_TEST_BINS) $(API_INTEGRATION)
LINT_SOURCES += $(API_SRCS) $(wildcard api/*.h) \
                tests/unit/test_http.c tests/unit/test_migrate.c tests/unit/test_coa.c \
                tests/unit/test_api_auth.c \
                tests/sim/nas_coa.c tests/unit/test_crypto.c tests/unit/test_sms.c

$(BUILD)/obj/api/%.o: api/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(API_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/api/%.o: api/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(API_CFLAGS) -MMD -MP -c $< -o $@

$(HOTSPOTD): $(API_OBJS) $(API_JOBS_OBJS) $(HSCOMMON_LIB) $(ROS_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $(API_OBJS) $(API_JOBS_OBJS) $(HSCOMMON_LIB) $(ROS_LIB) $(API_LDLIBS)

$(NAS_COA_OBJ): $(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -MMD -MP -c $< -o $@

$(NAS_COA): $(NAS_COA_OBJ)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ -lcrypto

$(API_SAN_LIB): $(API_SAN_LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/unit/test_http: $(BUILD)/san/tests/unit/test_http.o $(API_SAN_LIB) \
                               $(HSCOMMON_SAN_LIB) $(ROS_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka $(API_LDLIBS) $(ROS_LDLIBS)

$(BUILD)/tests/unit/test_api_auth: $(BUILD)/san/tests/unit/test_api_auth.o $(API_SAN_LIB) \
                                   $(HSCOMMON_SAN_LIB) $(ROS_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka $(API_LDLIBS) $(ROS_LDLIBS)

$(BUILD)/tests/unit/test_migrate: $(BUILD)/san/tests/unit/test_migrate.o \
                                  $(BUILD)/san/api/migrate.o $(HSCOMMON_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka $(API_LDLIBS) $(ROS_LDLIBS)

$(CRYPTO_UNIT_BIN): $(BUILD)/san/tests/unit/test_crypto.o $(HSCOMMON_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka -lcrypto

$(SMS_UNIT_BIN): $(BUILD)/san/tests/unit/test_sms.o $(BUILD)/san/api/sms.o \
                 $(BUILD)/san/api/httpc.o $(HSCOMMON_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka -ljansson -lcurl -lpq -lpthread

$(BUILD)/tests/unit/test_coa: $(BUILD)/san/tests/unit/test_coa.o $(BUILD)/san/api/coa.o
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka $(API_COA_LDLIBS) -lpthread

-include $(API_OBJS:.o=.d) $(API_SAN_OBJS:.o=.d) $(NAS_COA_OBJ:.o=.d) \
         $(BUILD)/san/tests/unit/test_http.d $(BUILD)/san/tests/unit/test_migrate.d \
         $(BUILD)/san/tests/unit/test_coa.d $(BUILD)/san/tests/unit/test_crypto.d \
         $(BUILD)/san/tests/unit/test_api_auth.d $(BUILD)/san/tests/unit/test_sms.d

include api/openapi.mk
