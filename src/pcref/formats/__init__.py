"""Date and number formats: UK English, where Django's "en" defaults are American."""
