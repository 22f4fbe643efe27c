"""Pure helpers with no Flask or database dependencies."""
