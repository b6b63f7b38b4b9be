"""Typed-usage programs and the mypy test that checks them (issue 6, part 2)."""
