"""Parts of the ``agentkit`` command line (see :mod:`agentkit.cli`)."""
