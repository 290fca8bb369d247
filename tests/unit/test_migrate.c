/* Migrations: which file names are migrations, and error positions to lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/migrate.h"

static void test_names(void **state)
{
	static const struct {
		const char *name;
		bool valid;
	} rows[] = {
		{"0001_init.sql", true},   {"0042_voucher_usage_2.sql", true},
		{"9999_x.sql", true},      {"0001_.sql", false},
		{"001_init.sql", false},   {"00001_init.sql", false},
		{"0001-init.sql", false},  {"0001_Init.sql", false},
		{"0001_in it.sql", false}, {"0001_init.SQL", false},
		{"0001_init.sql~", false}, {"0001_init.sql.bak", false},
		{"0001_init", false},      {"abcd_init.sql", false},
		{"README.md", false},      {"", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (api_migrate_name_valid(rows[i].name) != rows[i].valid)
			fail_msg("\"%s\": want %s", rows[i].name,
				 rows[i].valid ? "valid" : "invalid");
	}
}

static void test_long_name(void **state)
{
	char name[300] = "0001_";

	(void)state;
	memset(name + 5, 'a', 200);
	strcpy(name + 205, ".sql");
	assert_false(api_migrate_name_valid(name));
}

static void test_line_of(void **state)
{
	static const char sql[] = "CREATE TABLE a (x int);\n"
				  "-- é comment\n"
				  "CREATE TABLE b (y intt);\n";
	static const struct {
		long pos;
		int line;
	} rows[] = {
		{1, 1},  {23, 1}, {24, 1}, /* the newline belongs to its line */
		{25, 2}, {37, 2},          /* "-- é comment\n": é is one character */
		{38, 3}, {56, 3}, {62, 3}, {63, 0}, {0, 0}, {-3, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int got = api_migrate_line_of(sql, rows[i].pos);
		if (got != rows[i].line)
			fail_msg("position %ld: line %d, want %d", rows[i].pos, got, rows[i].line);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_line_of),
	};
	return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
