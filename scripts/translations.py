"""Translate what `make messages` left new or fuzzy in a catalog, through a JSON file.

    make messages                                    # extract, merge into the catalogs
    python scripts/translations.py todo todo.json    # the entries to translate
    # fill each entry's "es" (a string; a list of two for plural entries), then:
    python scripts/translations.py fill todo.json    # write them; refuses a lost placeholder
    python scripts/translations.py check             # exit 1 while anything is left

A fuzzy entry carries "old": the translation of a similar message that babel guessed. It is
often wrong for the new text: check it, never copy it blindly. Placeholders (%(name)s,
%(num)d, %%, {first_name}, HTML tags) must come through unchanged. The catalog is written
as `pybabel update` writes it (width 76), so a later `make messages` changes nothing.
Options: --locale (default es).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDERS = re.compile(r"%(?:\([a-z_]+\))?[sdif]|%%|\{[a-z_]*\}|</?[a-z]+[^>]*>")


def _path(locale: str) -> Path:
    return ROOT / "fieldcrm" / "translations" / locale / "LC_MESSAGES" / "messages.po"


def _read(locale: str):
    with _path(locale).open("rb") as fh:
        return read_po(fh)


def _needs_work(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return bool(message.id) and (message.fuzzy or not all(strings))


def _marks(text: str) -> list[str]:
    return sorted(PLACEHOLDERS.findall(text))


def todo(locale: str, out: Path) -> int:
    entries = []
    for m in _read(locale):
        if not _needs_work(m):
            continue
        entry = {"id": list(m.id) if isinstance(m.id, tuple) else m.id, "ctx": m.context}
        entry["where"] = [f"{file}:{line}" for file, line in m.locations[:3]]
        if m.fuzzy:
            entry["old"] = list(m.string) if isinstance(m.string, tuple) else m.string
        entries.append(entry)
    out.write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(entries)} to translate in {out}")
    return 0


def fill(locale: str, source: Path) -> int:
    catalog = _read(locale)
    done, problems = 0, []
    for entry in json.loads(source.read_text(encoding="utf-8")):
        if not entry.get(locale):
            continue
        key = tuple(entry["id"]) if isinstance(entry["id"], list) else entry["id"]
        message = catalog.get(key, context=entry.get("ctx"))
        if message is None:
            problems.append(f"not in the catalog: {key!r}")
            continue
        ids = list(key) if isinstance(key, tuple) else [key]
        texts = entry[locale] if isinstance(entry[locale], list) else [entry[locale]]
        if len(texts) != (2 if isinstance(key, tuple) else 1):
            problems.append(f"plural entries take two forms: {key!r}")
            continue
        for i, text in enumerate(texts):
            if _marks(ids[min(i, len(ids) - 1)]) != _marks(text):
                problems.append(f"placeholders differ: {ids[0]!r} -> {text!r}")
        message.string = tuple(texts) if isinstance(key, tuple) else texts[0]
        message.flags.discard("fuzzy")
        message.previous_id = []
        done += 1
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    with _path(locale).open("wb") as fh:
        write_po(fh, catalog, width=76)
    print(f"{done} entries written")
    return 0


def check(locale: str) -> int:
    left = [m.id for m in _read(locale) if _needs_work(m)]
    for message_id in left:
        print(f"untranslated or fuzzy: {message_id!r}")
    return 1 if left else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("todo", "fill", "check"))
    parser.add_argument("json", nargs="?", type=Path)
    parser.add_argument("--locale", default="es")
    args = parser.parse_args()
    if args.command == "check":
        return check(args.locale)
    if args.json is None:
        parser.error(f"{args.command} needs a JSON file")
    return (todo if args.command == "todo" else fill)(args.locale, args.json)


if __name__ == "__main__":
    sys.exit(main())
