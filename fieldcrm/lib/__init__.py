"""Pure helpers shared by features: no Flask, no database."""
