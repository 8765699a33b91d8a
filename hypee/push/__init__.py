"""Web Push (RFC 8030): encrypted payloads (RFC 8291) signed with VAPID (RFC 8292)."""
