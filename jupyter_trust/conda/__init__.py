"""conda's configuration, token store and environments, read and written the way conda does."""
