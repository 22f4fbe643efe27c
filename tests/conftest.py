"""Test fixtures: app, isolated database per test, clients, personas, factories.

The suite runs on in-memory SQLite by default and on PostgreSQL when TEST_DATABASE_URL is
set (each test inside a transaction rolled back at the end; views' commits release
savepoints). Fixtures are split into tests/fixtures/ modules.
"""

pytest_plugins = [
    "tests.fixtures.app",
    "tests.fixtures.factories",
    "tests.fixtures.personas",
    "tests.fixtures.imports",
    "tests.fixtures.fieldwork",
    "tests.fixtures.turf",
    "tests.fixtures.security",
    "tests.fixtures.api",
]
