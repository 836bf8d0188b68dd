"""Notifications: one outbox table for every message to a person, pluggable senders."""
