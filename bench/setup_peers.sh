#!/usr/bin/env bash
# Create or refresh bench/.venv-peers: PydanticAI and the OpenAI Agents SDK for the peer benchmarks.
#
# Kept apart from the project venv (.venv) so the peers never leak into agentkit's environment.
# Everything is pinned in bench/_peers/requirements.txt; agentkit is installed editable without
# dependencies (its dependencies are in the lock, at the project venv's versions).
# Idempotent: returns at once when the venv matches the lock and agentkit's dependency list.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
venv="$here/.venv-peers"
lock="$here/_peers/requirements.txt"
stamp="$venv/.installed"

# agentkit is editable (code changes need nothing); only the lock and agentkit's dependency list matter.
deps="$(sed -n '/^dependencies = \[/,/^\]/p' "$root/pyproject.toml")"
want="$( { cat "$lock"; echo "$deps"; } | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
    && "$venv/bin/python" -c 'import sys, importlib.util as u
sys.exit(not all(u.find_spec(m) for m in ("agentkit", "pydantic_ai", "agents")))' 2>/dev/null; then
    echo "bench/.venv-peers: up to date"
    exit 0
fi

# The same interpreter as the project venv, so import and run times compare like for like.
base_python="${PEERS_PYTHON:-}"
if [[ -z "$base_python" && -x "$root/.venv/bin/python" ]]; then
    base_python="$("$root/.venv/bin/python" -c 'import sys; print(sys._base_executable)')"
fi
base_python="${base_python:-python3}"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "bench/.venv-peers: creating it with $("$base_python" --version)"
    "$base_python" -m venv "$venv"
fi
printf '*\n' > "$venv/.gitignore"  # never committed, whatever the top-level .gitignore says
echo "bench/.venv-peers: installing bench/_peers/requirements.txt (pinned) and agentkit (editable, --no-deps)"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install -q -r "$lock"
"${pip[@]}" install -q --no-deps -e "$root"
if ! "${pip[@]}" check; then
    echo "bench/.venv-peers: 'pip check' failed: update bench/_peers/requirements.txt (agentkit's dependencies changed?)" >&2
fi
echo "$want" > "$stamp"
echo "bench/.venv-peers: ready"
