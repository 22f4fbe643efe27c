"""Pure helpers with no Flask or database: phones, addresses, geography, CSV safety."""
