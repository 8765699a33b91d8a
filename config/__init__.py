"""Server settings, read from HYPEE_* environment variables."""

from config.settings import DEFAULT_JWT_SECRET, ConfigError, Settings, describe_settings

__all__ = ["DEFAULT_JWT_SECRET", "ConfigError", "Settings", "describe_settings"]
