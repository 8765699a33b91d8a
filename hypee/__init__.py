"""Hypee's core: the application, its stores, auth, real time and storage."""
