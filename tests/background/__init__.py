"""Durable background runs (agentkit.background)."""
