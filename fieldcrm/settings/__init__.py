"""Program settings an admin changes in the app (today: the map tile server)."""
