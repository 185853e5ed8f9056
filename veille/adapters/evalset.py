"""Read labelled evaluation files for ``veille eval``.

Three shapes are accepted, recognised from the first line:
- JSON lines: ``{"text": ..., "label": ...}`` (optional ``"lang"``, and ``"formats": [...]`` for tagging);
- TSV with a header ``index_id<TAB>category<TAB>text`` (SIB-200 style);
- TSV ``label<TAB>text`` without header (AG News style).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from veille.errors import ConfigError


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str | None
    lang: str | None = None
    formats: tuple[str, ...] | None = None


def read_eval_file(path: Path) -> list[LabelledText]:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read evaluation file: {exc}", path=str(path)) from exc
    lines = raw.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("{"):
        return _json_lines(path, lines)
    return _tsv(path, lines)


def _json_lines(path: Path, lines: list[str]) -> list[LabelledText]:
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"invalid JSON: {exc.msg}", path=str(path), line=number) from exc
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise ConfigError('each line needs a "text" string', path=str(path), line=number, field="text")
        formats = record.get("formats")
        if formats is not None and not (isinstance(formats, list) and all(isinstance(f, str) for f in formats)):
            raise ConfigError("must be a list of format keys", path=str(path), line=number, field="formats")
        label = record.get("label")
        rows.append(
            LabelledText(
                text=record["text"],
                label=None if label is None else str(label),
                lang=record.get("lang") if isinstance(record.get("lang"), str) else None,
                formats=tuple(formats) if formats is not None else None,
            )
        )
    return rows


def _tsv(path: Path, lines: list[str]) -> list[LabelledText]:
    rows = []
    header = lines[0].split("\t") if lines else []
    with_header = [cell.strip().lower() for cell in header[:3]] == ["index_id", "category", "text"]
    for number, line in enumerate(lines[1:] if with_header else lines, start=2 if with_header else 1):
        if not line.strip():
            continue
        cells = line.split("\t")
        if with_header:
            if len(cells) < 3:
                raise ConfigError("expected index_id<TAB>category<TAB>text", path=str(path), line=number)
            rows.append(LabelledText(text="\t".join(cells[2:]).strip(), label=cells[1].strip()))
        else:
            if len(cells) < 2:
                raise ConfigError("expected label<TAB>text", path=str(path), line=number)
            rows.append(LabelledText(text="\t".join(cells[1:]).strip(), label=cells[0].strip()))
    return rows
