# Shared by scripts/demo and scripts/test: make .venv once (or again when pyproject.toml
# changes) with the project installed editable plus the given extras.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
ensure_env() {
  local extras="$1"
  local stamp="$VENV/.chainrule-$extras-$(cksum < "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [[ ! -x "$VENV/bin/python" ]]; then
    "$PY" -m venv "$VENV"
  fi
  if [[ ! -f "$stamp" ]]; then
    echo "[chainrule] installing chainrule[$extras] into .venv (first run only)..." >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[$extras]" >&2
    touch "$stamp"
  fi
}
