"""Thin Tornado handlers: parse, authorize, call models, render."""
