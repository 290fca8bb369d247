# routeros/: the RouterOS API client library (librouteros.a), its unit tests
# (cmocka, with the sanitizers), the router simulator (ros-sim), the
# client-against-simulator suite and the fuzz target of the sentence parser.
#
#   make sim [SIM_PORT=18728] [SIM_ARGS="--ros6 --slow 200"]   run the simulator
#   make fuzz-ros [FUZZ_TIME=300]                              a long fuzz run of the parser
#   make fuzz-ros-login [FUZZ_TIME=300]                        a long one of the login exchange

ROS_SRCS := $(wildcard routeros/*.c)
ROS_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(ROS_SRCS))
ROS_SAN_OBJS := $(patsubst %.c,$(BUILD)/san/%.o,$(ROS_SRCS))
ROS_LIB := $(BUILD)/librouteros.a
ROS_SAN_LIB := $(BUILD)/san/librouteros.a
ROS_LDLIBS := -lssl -lcrypto -lpthread

# Unit tests: tests/unit/test_ros_<name>.c.
ROS_UNIT_TESTS := wire reply parse bucket
ROS_UNIT_BINS := $(patsubst %,$(BUILD)/tests/unit/test_ros_%,$(ROS_UNIT_TESTS))
ROS_UNIT_OBJS := $(patsubst %,$(BUILD)/san/tests/unit/test_ros_%.o,$(ROS_UNIT_TESTS))

# The simulator, built from tests/sim/ros_sim*.c against the library.
ROS_SIM_SRCS := $(wildcard tests/sim/ros_sim*.c)
ROS_SIM_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(ROS_SIM_SRCS))
ROS_SIM := $(BUILD)/ros-sim

# The client the integration suite drives against the simulator (sanitizers on).
ROS_CLIENT_TEST := $(BUILD)/tests/ros-client-test
ROS_CLIENT_TEST_OBJ := $(BUILD)/san/tests/integration/ros_client_test.o

# The provisioner's case runner for tests/integration/ros_prov.sh (sanitizers on).
ROS_PROV_TEST := $(BUILD)/tests/ros-prov-test
ROS_PROV_TEST_OBJ := $(BUILD)/san/tests/integration/ros_prov_test.o

# What both case runners share.
ROS_TEST_UTIL_OBJ := $(BUILD)/san/tests/integration/ros_test_util.o

# The fuzz targets, built with clang's libFuzzer.
ROS_FUZZ := $(BUILD)/fuzz/fuzz_ros_parser
ROS_FUZZ_LOGIN := $(BUILD)/fuzz/fuzz_ros_login
FUZZ_CC ?= clang
FUZZ_TIME ?= 300

ALL_TARGETS += $(ROS_LIB) $(ROS_UNIT_BINS) $(ROS_SIM) $(ROS_CLIENT_TEST) $(ROS_PROV_TEST)
# Without clang the rest still builds; the fuzz suite then reports the missing target.
ifneq ($(shell command -v $(FUZZ_CC) 2>/dev/null),)
ALL_TARGETS += $(ROS_FUZZ) $(ROS_FUZZ_LOGIN)
endif
TEST_SUITES += $(ROS_UNIT_BINS) tests/integration/ros_sim.sh tests/integration/ros_fuzz.sh \
               tests/integration/ros_prov.sh tests/integration/ros_login_fuzz.sh
LINT_SOURCES += $(ROS_SRCS) $(wildcard routeros/*.h) \
                $(patsubst %,tests/unit/test_ros_%.c,$(ROS_UNIT_TESTS)) \
                $(ROS_SIM_SRCS) $(wildcard tests/sim/ros_sim*.h) \
                tests/integration/ros_client_test.c tests/fuzz/fuzz_ros_parser.c \
                tests/integration/ros_prov_test.c tests/fuzz/fuzz_ros_login.c \
                tests/integration/ros_test_util.c tests/integration/ros_test_util.h

$(BUILD)/obj/routeros/%.o: routeros/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -MMD -MP -c $< -o $@

$(BUILD)/san/routeros/%.o: routeros/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(ROS_LIB): $(ROS_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(ROS_SAN_LIB): $(ROS_SAN_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(ROS_UNIT_OBJS): $(BUILD)/san/tests/unit/%.o: tests/unit/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(ROS_UNIT_BINS): $(BUILD)/tests/unit/%: $(BUILD)/san/tests/unit/%.o $(ROS_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka $(ROS_LDLIBS)

$(ROS_SIM_OBJS): $(BUILD)/obj/tests/sim/%.o: tests/sim/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -MMD -MP -c $< -o $@

$(ROS_SIM): $(ROS_SIM_OBJS) $(ROS_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(ROS_LDLIBS)

$(ROS_CLIENT_TEST_OBJ) $(ROS_PROV_TEST_OBJ) $(ROS_TEST_UTIL_OBJ): $(BUILD)/san/tests/integration/%.o: tests/integration/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(ROS_CLIENT_TEST): $(ROS_CLIENT_TEST_OBJ) $(ROS_TEST_UTIL_OBJ) $(ROS_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(ROS_LDLIBS)

$(ROS_PROV_TEST): $(ROS_PROV_TEST_OBJ) $(ROS_TEST_UTIL_OBJ) $(ROS_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(ROS_LDLIBS)

# libFuzzer needs clang; the wire code is compiled into the target directly.
$(ROS_FUZZ): tests/fuzz/fuzz_ros_parser.c routeros/wire.c routeros/reply.c routeros/internal.h \
             routeros/routeros.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -g -O1 -D_GNU_SOURCE -I$(ROOT) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ tests/fuzz/fuzz_ros_parser.c routeros/wire.c routeros/reply.c

# The login exchange (and the provisioner's readers after it) against
# arbitrary router bytes: the whole library is compiled into the target.
$(ROS_FUZZ_LOGIN): tests/fuzz/fuzz_ros_login.c $(ROS_SRCS) routeros/internal.h \
                   routeros/prov_internal.h routeros/provision.h routeros/routeros.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -g -O1 -D_GNU_SOURCE -I$(ROOT) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ tests/fuzz/fuzz_ros_login.c $(ROS_SRCS) $(ROS_LDLIBS)

SIM_PORT ?= 18728
SIM_ARGS ?=
sim: $(ROS_SIM)
	$(ROS_SIM) --port $(SIM_PORT) $(SIM_ARGS)

.PHONY: fuzz fuzz-ros fuzz-ros-login
fuzz: fuzz-ros fuzz-ros-login
fuzz-ros: $(ROS_FUZZ)
	@mkdir -p $(BUILD)/fuzz/corpus-ros-parser
	$(ROS_FUZZ) -max_total_time=$(FUZZ_TIME) -max_len=4096 $(BUILD)/fuzz/corpus-ros-parser
fuzz-ros-login: $(ROS_FUZZ_LOGIN)
	@mkdir -p $(BUILD)/fuzz/corpus-ros-login
	$(ROS_FUZZ_LOGIN) -max_total_time=$(FUZZ_TIME) -max_len=4096 $(BUILD)/fuzz/corpus-ros-login

-include $(ROS_OBJS:.o=.d) $(ROS_SAN_OBJS:.o=.d) $(ROS_UNIT_OBJS:.o=.d) \
         $(ROS_SIM_OBJS:.o=.d) $(ROS_CLIENT_TEST_OBJ:.o=.d) $(ROS_PROV_TEST_OBJ:.o=.d) \
         $(ROS_TEST_UTIL_OBJ:.o=.d)
