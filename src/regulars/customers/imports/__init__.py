"""Customer CSV import: parse rows, apply them in batches, run as a job with progress."""
