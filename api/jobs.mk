# The job queue runtime of hotspotd serve (api/jobs.c and one api/job_*.c
# per kind, with api/router_conn.c, the router-access layer the router
# jobs share with the REST API).  hotspotd links $(API_JOBS_OBJS); the
# unit tests and jobtool, the integration suites' own client of the
# runtime, link the sanitizer build of the same sources.  Included from api/api.mk, whose pattern rules
# compile api/*.c into $(BUILD)/obj and $(BUILD)/san.

API_JOBS_SRCS := api/jobs.c api/job_kinds.c api/coa.c api/router_conn.c api/httpc.c api/sms.c \
                 $(filter-out api/job_kinds.c,$(wildcard api/job_*.c)) \
                 api/pay.c api/pay_stripe.c api/pay_flutterwave.c
API_JOBS_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(API_JOBS_SRCS))
API_JOBS_SAN_OBJS := $(patsubst %.c,$(BUILD)/san/%.o,$(API_JOBS_SRCS))

# api/coa.c (Disconnect-Request, used by the radius.disconnect kind) is
# built on libfreeradius-radius, standalone: its headers through -isystem
# (with -DNDEBUG, as Debian's library is built), the library from
# $(FR_LIBDIR) with an rpath there, and talloc.
API_COA_OBJS := $(BUILD)/obj/api/coa.o $(BUILD)/san/api/coa.o
API_COA_LDLIBS := -L$(FR_LIBDIR) -Wl,-rpath,$(FR_LIBDIR) -lfreeradius-radius -ltalloc
$(API_COA_OBJS): API_CFLAGS += $(patsubst -I%,-isystem %,$(filter -I%,$(FR_CFLAGS))) \
                               $(filter-out -I%,$(FR_CFLAGS))
$(API_COA_OBJS): $(FR_STAMP)

# The router jobs (router.kick, router.backup) talk to routers through
# librouteros (routeros/routeros.mk) and api/router_conn.c opens their
# sealed API passwords with common/crypto.c: OpenSSL for both.
# api/sms.c (the sms.send kind's gateways) and api/pay*.c (payment.check,
# the payment gateways) speak HTTP through libcurl; the webhooks' HMAC is
# OpenSSL's.
API_JOBS_LDLIBS := -ljansson -lpq -lpthread -lcurl -lcrypto $(API_COA_LDLIBS) $(ROS_LDLIBS)

JOBTOOL := $(BUILD)/tests/jobtool
JOBTOOL_OBJ := $(BUILD)/san/tests/integration/jobtool.o
JOBS_UNIT_BIN := $(BUILD)/tests/unit/test_jobs
# The payment drivers' checks that need no network (signatures, events).
PAY_UNIT_BIN := $(BUILD)/tests/unit/test_pay

ALL_TARGETS += $(JOBTOOL) $(JOBS_UNIT_BIN) $(PAY_UNIT_BIN)
TEST_SUITES += $(JOBS_UNIT_BIN) $(PAY_UNIT_BIN) tests/integration/jobs_queue.sh
LINT_SOURCES += $(API_JOBS_SRCS) api/jobs.h api/jobs_int.h \
                tests/integration/jobtool.c tests/unit/test_jobs.c tests/unit/test_pay.c

$(JOBTOOL_OBJ): $(BUILD)/san/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(HSCOMMON_CFLAGS) -MMD -MP -c $< -o $@

$(JOBTOOL): $(JOBTOOL_OBJ) $(API_JOBS_SAN_OBJS) $(HSCOMMON_SAN_LIB) $(ROS_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(API_JOBS_LDLIBS)

$(JOBS_UNIT_BIN): $(BUILD)/san/tests/unit/test_jobs.o $(API_JOBS_SAN_OBJS) $(HSCOMMON_SAN_LIB) \
                  $(ROS_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka $(API_JOBS_LDLIBS)

$(PAY_UNIT_BIN): $(BUILD)/san/tests/unit/test_pay.o $(BUILD)/san/api/pay.o \
                 $(BUILD)/san/api/pay_stripe.o $(BUILD)/san/api/pay_flutterwave.o \
                 $(BUILD)/san/api/httpc.o $(HSCOMMON_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka -ljansson -lpq -lcurl -lcrypto

-include $(API_JOBS_OBJS:.o=.d) $(API_JOBS_SAN_OBJS:.o=.d) $(JOBTOOL_OBJ:.o=.d) \
         $(BUILD)/san/tests/unit/test_jobs.d $(BUILD)/san/tests/unit/test_pay.d
