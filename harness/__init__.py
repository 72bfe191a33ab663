"""The kata harness: catalog, pytest plugin, local services, evidence and the CLI."""
