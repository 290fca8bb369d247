# common/: configuration, logging and PostgreSQL helpers shared by the
# programs, built into one static library; its unit tests (cmocka) build
# the same sources again with the sanitizers.

COMMON_SRCS := $(wildcard common/*.c)
COMMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMMON_SRCS))
COMMON_SAN_OBJS := $(patsubst %.c,$(BUILD)/san/%.o,$(COMMON_SRCS))
HSCOMMON_LIB := $(BUILD)/libhscommon.a
HSCOMMON_SAN_LIB := $(BUILD)/san/libhscommon.a
HSCOMMON_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)

# Unit tests of common/: tests/unit/test_<name>.c, linked with the library.
COMMON_TESTS := config log db text
COMMON_TEST_BINS := $(patsubst %,$(BUILD)/tests/unit/test_%,$(COMMON_TESTS))
UNIT_LDLIBS := -lcmocka -lpq -lpthread

ALL_TARGETS += $(HSCOMMON_LIB) $(COMMON_TEST_BINS)
TEST_SUITES += $(COMMON_TEST_BINS)
LINT_SOURCES += $(COMMON_SRCS) $(wildcard common/*.h) \
                $(patsubst %,tests/unit/test_%.c,$(COMMON_TESTS))

$(BUILD)/obj/common/%.o: common/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(HSCOMMON_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/common/%.o: common/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(HSCOMMON_CFLAGS) -MMD -MP -c $< -o $@

$(HSCOMMON_LIB): $(COMMON_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(HSCOMMON_SAN_LIB): $(COMMON_SAN_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

# Unit tests, whichever folder they test: compiled with the sanitizers.
$(BUILD)/san/tests/unit/%.o: tests/unit/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(HSCOMMON_CFLAGS) -MMD -MP -c $< -o $@

$(COMMON_TEST_BINS): $(BUILD)/tests/unit/%: $(BUILD)/san/tests/unit/%.o $(HSCOMMON_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(UNIT_LDLIBS)

-include $(COMMON_OBJS:.o=.d) $(COMMON_SAN_OBJS:.o=.d) \
         $(patsubst %,$(BUILD)/san/tests/unit/test_%.d,$(COMMON_TESTS))
