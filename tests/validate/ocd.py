#!/usr/bin/env python3
"""Validates Gavel's exports with their communities' own tools.

    ocd.py FILE.ocd.json ... [BAG_DIR ...]

- An Open Civic Data export (`{"event": …, "vote_events": […]}`) is checked against the OCD
  schemas that ship with pupa, the OCD scraper framework (pupa/scrape/schemas/event.py and
  vote_event.py), by pupa's own validator: `BaseModel.validate` (JSON Schema Draft 3 with
  pupa's `date` and `datetime` types and a format checker).
- A BagIt bag (a directory) is checked with the Library of Congress `bagit` package's full
  validation (structure, Payload-Oxum, every manifest's checksums); every `*.ocd.json` in its
  payload is then validated as above.

Prints one line per file checked and every problem found; exits 1 if any.
Run with the interpreter of the venv scripts/validate.sh installs.
"""
import json
import sys
from pathlib import Path

import bagit
from pupa.exceptions import ScrapeValueError
from pupa.scrape.base import BaseModel
from pupa.scrape.schemas.event import schema as EVENT_SCHEMA
from pupa.scrape.schemas.vote_event import schema as VOTE_EVENT_SCHEMA


class Exported(BaseModel):
    """An exported object, validated by pupa's BaseModel.validate against `schema`."""

    def __init__(self, schema, data):
        self._schema = schema
        super().__init__()
        self._data = data

    def as_dict(self):
        return self._data


def validate_ocd(path: Path) -> list:
    try:
        export = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"{path}: not readable JSON: {e}"]
    objects = [("event", EVENT_SCHEMA, export.get("event"))]
    objects += [
        (f"vote_events[{i}]", VOTE_EVENT_SCHEMA, v)
        for i, v in enumerate(export.get("vote_events", []))
    ]
    problems = []
    for name, schema, data in objects:
        if not isinstance(data, dict):
            problems.append(f"{path}: {name} is missing or not an object")
            continue
        try:
            Exported(schema, data).validate()
        except ScrapeValueError as e:
            problems.append(f"{path}: {name}: {e}")
    print(f"ocd: {path}: {len(objects)} object(s) checked, {len(problems)} invalid")
    return problems


def validate_bag(path: Path) -> list:
    problems = []
    try:
        bag = bagit.Bag(str(path))
        bag.validate(completeness_only=False)
        print(f"bagit: {path}: valid ({bag.info.get('Payload-Oxum')})")
    except bagit.BagValidationError as e:
        details = "; ".join(str(d) for d in getattr(e, "details", []))
        problems.append(f"{path}: BagIt validation failed: {e} {details}".strip())
    except bagit.BagError as e:
        problems.append(f"{path}: not a BagIt bag: {e}")
    ocd = sorted(path.glob("data/*.ocd.json"))
    if not ocd:
        problems.append(f"{path}: the bag holds no *.ocd.json export")
    for f in ocd:
        problems += validate_ocd(f)
    return problems


def main(args) -> int:
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    problems = []
    for arg in args:
        p = Path(arg)
        problems += validate_bag(p) if p.is_dir() else validate_ocd(p)
    for line in problems:
        print(f"INVALID {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
