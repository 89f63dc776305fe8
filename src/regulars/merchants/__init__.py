"""Tenancy: merchants, stores, staff, roles, API keys and the audit log."""
