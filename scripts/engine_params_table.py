"""Print the parameter table of each engine as Markdown, or refresh them in docs/engines.md.

    python scripts/engine_params_table.py [engine_key ...]
    python scripts/engine_params_table.py --update      # rewrite the tables in docs/engines.md

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


DOC = Path(__file__).resolve().parents[1] / "docs" / "engines.md"


def update(doc: Path = DOC) -> None:
    """Replace each `<!-- params:key -->` block (up to the next blank line) with the current table."""
    text = doc.read_text()
    for key in ENGINES:
        marker = f"<!-- params:{key} -->\n"
        head, found, rest = text.partition(marker)
        if not found:
            raise SystemExit(f"{doc.name} has no {marker.strip()} block")
        _, blank, tail = rest.partition("\n\n")
        text = head + marker + table(key) + blank + tail
    doc.write_text(text)


def main(args: list[str]) -> None:
    if args == ["--update"]:
        update()
        return
    for key in args or list(ENGINES):
        print(f"<!-- params:{key} -->\n{table(key)}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
