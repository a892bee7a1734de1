"""Identity: users, sign-up, JWT login and logout, profiles."""
