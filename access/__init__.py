"""Who may call the API: staff users and the API tokens of every principal."""
