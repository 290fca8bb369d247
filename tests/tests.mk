# The test runner's own suites. Folder fragments add theirs to TEST_SUITES.

# The list of C sources the lint suite checks, rewritten when it changes.
$(BUILD)/lint-sources.txt: FORCE
	@mkdir -p $(BUILD)
	@echo $(sort $(LINT_SOURCES)) | cmp -s - $@ || echo $(sort $(LINT_SOURCES)) > $@

ALL_TARGETS += $(BUILD)/lint-sources.txt
# The schema's own suites (sql/ has no build fragment).
TEST_SUITES += $(sort $(wildcard $(ROOT)/tests/integration/sql_*.sh))
TEST_SUITES += tests/integration/radius_outage.sh

# Order: lint, unit tests, then the suites that start servers.
hs_unit_suites := $(foreach s,$(TEST_SUITES),$(if $(findstring /unit/,$(s)),$(s)))
TEST_SUITES := tests/lint.sh $(hs_unit_suites) $(filter-out $(hs_unit_suites),$(TEST_SUITES))

.PHONY: FORCE
FORCE:

# The unit test binaries, for the valgrind suite (which builds them again
# without the sanitizers, into build/vg/).
$(BUILD)/unit-tests.txt: FORCE
	@mkdir -p $(BUILD)
	@echo $(notdir $(hs_unit_suites)) | cmp -s - $@ || echo $(notdir $(hs_unit_suites)) > $@

ALL_TARGETS += $(BUILD)/unit-tests.txt
TEST_SUITES += tests/valgrind.sh
