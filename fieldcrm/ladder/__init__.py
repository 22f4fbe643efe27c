"""The leader-development ladder: configurable stages and each person's moves."""
