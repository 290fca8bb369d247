# radiusd-module/: rlm_hotspot.so, the module the stock FreeRADIUS server
# loads (the generated raddb puts $(BUILD) first in its libdir).
#
# FreeRADIUS's headers, the fetched ones included, come in through -isystem
# so that our warnings stay strict for our code without failing on theirs.
# The object depends on $(FR_STAMP): new headers (a server upgrade) rebuild it.

RLM_HOTSPOT      := $(BUILD)/rlm_hotspot.so
RLM_SRCS         := $(wildcard radiusd-module/*.c)
RLM_HDRS         := $(wildcard radiusd-module/*.h)
# common/text.c (the UTF-8 check) is hotspotd's too; the module builds its
# own copy of the object, with its flags (hidden visibility).
RLM_OBJS         := $(patsubst %.c,$(BUILD)/obj/%.o,$(RLM_SRCS)) \
                    $(BUILD)/obj/radiusd-module/common/text.o
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

# Unit tests, with the sanitizers like every unit test: test_rlm_NAME.c
# against hs_NAME.c, each of which builds without FreeRADIUS: the pure
# logic, the routers cache file's format, the batching queue.

define rlm_unit_test
ALL_TARGETS  += $(BUILD)/tests/unit/test_rlm_$(1)
TEST_SUITES  += $(BUILD)/tests/unit/test_rlm_$(1)
LINT_SOURCES += tests/unit/test_rlm_$(1).c

$(BUILD)/san/radiusd-module/hs_$(1).o: radiusd-module/hs_$(1).c radiusd-module/hs_$(1).h \
		$(foreach d,$(2),radiusd-module/hs_$(d).h) | $$(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_BASE) $$(SAN_FLAGS) -c $$< -o $$@

$(BUILD)/san/tests/unit/test_rlm_$(1).o: tests/unit/test_rlm_$(1).c radiusd-module/hs_$(1).h | $$(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_BASE) $$(SAN_FLAGS) -c $$< -o $$@

$(BUILD)/tests/unit/test_rlm_$(1): $(BUILD)/san/tests/unit/test_rlm_$(1).o $(BUILD)/san/radiusd-module/hs_$(1).o \
		$(foreach d,$(2),$(BUILD)/san/radiusd-module/hs_$(d).o)
	@mkdir -p $$(@D)
	$$(CC) $$(SAN_FLAGS) -o $$@ $$^ -lcmocka -lpthread -lm
endef
# A test's second argument: what else its file links (hs_NAME.c each).
$(eval $(call rlm_unit_test,logic))
$(eval $(call rlm_unit_test,cache,logic))
$(eval $(call rlm_unit_test,batch))

# The server's version is read when compiling (not when make starts), since
# "make" may be what installs the server.
$(BUILD)/obj/radiusd-module/%.o: radiusd-module/%.c radiusd-module/fr-server-version.sh $(FR_STAMP)
	@mkdir -p $(@D)
	frv=$$(bash radiusd-module/fr-server-version.sh) && \
	$(CC) $(CFLAGS_BASE) $(RLM_CFLAGS) -DHS_FR_SERVER_VERSION=$$frv -MMD -MP -c $< -o $@

$(BUILD)/obj/radiusd-module/common/%.o: common/%.c common/%.h $(FR_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(RLM_CFLAGS) -MMD -MP -c $< -o $@

$(RLM_HOTSPOT): $(RLM_OBJS)
	@mkdir -p $(@D)
	$(CC) $(RLM_LDFLAGS) -o $@ $^ $(RLM_LDLIBS)

-include $(RLM_OBJS:.o=.d)
