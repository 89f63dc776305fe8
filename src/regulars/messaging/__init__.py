"""Messages to customers: channels now; templates and the outbox join later."""
