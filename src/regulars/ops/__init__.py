"""Running a deployment: backup and restore, the move to PostgreSQL, metrics and health."""
