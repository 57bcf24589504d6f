"""Print the parameter table of each engine as Markdown, for docs/engines.md.

    python scripts/engine_params_table.py [engine_key ...]

tests/test_docs_engines.py checks that docs/engines.md carries these rows unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from attunio.engines import ENGINES, describe_params
from attunio.engines.params import ParamDoc

HEADER = "| parameter | default | safety cap | unit | rationale | source |\n|---|---|---|---|---|---|"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def row(doc: ParamDoc) -> str:
    cells = [
        f"`{doc.name}`",
        _num(doc.default),
        f"{_num(doc.low)} – {_num(doc.high)}",
        doc.unit,
        doc.rationale,
        doc.source,
    ]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def table(key: str) -> str:
    return "\n".join([HEADER, *(row(doc) for doc in describe_params(ENGINES[key].params_type))])


def main(keys: list[str]) -> None:
    for key in keys or list(ENGINES):
        print(f"<!-- params:{key} -->\n{table(key)}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
