"""``python -m agentkit`` runs the command line (same as the ``agentkit`` script)."""

from agentkit.cli import main

main()
