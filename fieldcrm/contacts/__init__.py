"""People: contacts from voter files and by hand, their phones, tags and organizations."""
