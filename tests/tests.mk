# The test runner's own suites. Folder fragments add theirs to TEST_SUITES.

# The list of C sources the lint suite checks, rewritten when it changes.
$(BUILD)/lint-sources.txt: FORCE
	@mkdir -p $(BUILD)
	@echo $(sort $(LINT_SOURCES)) | cmp -s - $@ || echo $(sort $(LINT_SOURCES)) > $@

ALL_TARGETS += $(BUILD)/lint-sources.txt
TEST_SUITES := tests/lint.sh $(TEST_SUITES)

.PHONY: FORCE
FORCE:
