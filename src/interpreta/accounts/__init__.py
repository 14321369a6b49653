"""Customers (organisations), user accounts, memberships and sign-in."""
