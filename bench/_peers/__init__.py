"""Shared pieces of the peer benchmarks: the 3-turn workload per framework, the worker process, the harness.

Runs in two environments: the project venv (raw ``openai`` loop, agentkit) and ``bench/.venv-peers``
(PydanticAI, the OpenAI Agents SDK). Nothing here imports a framework at module level.
"""
