"""Build corpus/ from the read-only source material (a one-off importer, not run by the product).

    .venv/bin/python scripts/build_corpus.py [--shared ../shared] [--corpus corpus]

- copies the UN General Debate speeches (ungdc-pacific/*.txt and its SOURCE.md) byte for byte
  into corpus/ungdc-pacific/: BOMs and hard wraps are kept on purpose, the indexer must cope;
- copies the OCO communiqué text byte for byte into corpus/oco/ and renders it as a 3-4 page PDF
  next to it (scripts/communique_pdf.py);
- copies the UN Security Council resolutions (unsc-resolutions/*.txt and its SOURCE.md) byte
  for byte into corpus/unsc-resolutions/, defects included: their number, year, date, vote
  and structure are read from each text by the indexer (indexer/resolutions.py);
- writes corpus/manifest.csv: one row per imported speech and communiqué, one row for the
  resolutions folder, sorted by path. Rows for other paths (added by hand) are kept.

Running it twice gives identical files. Nothing in the product reads the source folder.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import sys
from pathlib import Path

from communique_pdf import render_communique_pdf

REPO = Path(__file__).resolve().parent.parent
FIELDS = [
    "path",
    "id",
    "title",
    "organisation",
    "conference",
    "year",
    "date",
    "place",
    "doc_type",
    "country",
    "country_name",
    "language",
]

UNGDC = "ungdc-pacific"
UNSC = "unsc-resolutions"
COUNTRIES = {
    "AUS": "Australia",
    "FJI": "Fiji",
    "FSM": "Federated States of Micronesia",
    "KIR": "Kiribati",
    "MHL": "Marshall Islands",
    "NRU": "Nauru",
    "NZL": "New Zealand",
    "PLW": "Palau",
    "PNG": "Papua New Guinea",
    "SLB": "Solomon Islands",
    "TON": "Tonga",
    "TUV": "Tuvalu",
    "VUT": "Vanuatu",
    "WSM": "Samoa",
}
SPEECH_NAME = re.compile(r"(?P<iso3>[A-Z]{3})_(?P<session>\d+)_(?P<year>\d{4})\.txt")
FIRST_SESSION_YEAR = 1946  # the 1st session of the General Assembly opened in 1946

COMMUNIQUE_SOURCE = "seed/oco-26th-annual-conference-2024-communique.txt"
COMMUNIQUE = "oco/oco-26th-annual-conference-2024-communique"
COMMUNIQUE_META = {
    "title": "Communiqué of the 26th OCO Annual Conference",
    "organisation": "Oceania Customs Organisation",
    "conference": "26th OCO Annual Conference",
    "year": "2024",
    "date": "2024-07-29/2024-07-31",
    "place": "Rarotonga, Cook Islands",
    "doc_type": "communique",
    "language": "en",
}
COMMUNIQUE_PAGES = range(3, 5)  # the indexer's tests rely on a multi-page PDF of 3-4 pages


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def row(path: str, **fields: str) -> dict[str, str]:
    unknown = fields.keys() - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown manifest fields: {sorted(unknown)}")
    return {name: "" for name in FIELDS} | {"path": path} | fields


def copy_bytes(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)  # contents only: the read-only mode of the source is not copied


def import_ungdc(shared: Path, corpus: Path) -> list[dict[str, str]]:
    src_dir = shared / UNGDC
    sources = sorted(src_dir.glob("*.txt"))
    if not sources:
        raise SystemExit(f"no speeches found in {src_dir}")
    rows = []
    for src in sources:
        match = SPEECH_NAME.fullmatch(src.name)
        if not match:
            raise SystemExit(f"unexpected speech file name (want ISO3_SESSION_YEAR.txt): {src}")
        iso3, session, year = match["iso3"], int(match["session"]), int(match["year"])
        if iso3 not in COUNTRIES:
            raise SystemExit(f"unknown country code {iso3!r} in {src}: add it to COUNTRIES")
        if year != FIRST_SESSION_YEAR + session - 1:
            raise SystemExit(f"session {session} was not held in {year}: {src}")
        copy_bytes(src, corpus / UNGDC / src.name)
        name, nth = COUNTRIES[iso3], ordinal(session)
        rows.append(
            row(
                f"{UNGDC}/{src.name}",
                title=f"{name} – statement at the UN General Debate, {nth} session ({year})",
                organisation="United Nations General Assembly",
                conference=f"UN General Debate, {nth} session",
                year=str(year),
                # Held each September in New York; the exact day is not in the source.
                place="New York, United States",
                doc_type="speech",
                country=iso3,
                country_name=name,
                language="en",
            )
        )
    copy_bytes(src_dir / "SOURCE.md", corpus / UNGDC / "SOURCE.md")
    return rows


def import_resolutions(shared: Path, corpus: Path) -> list[dict[str, str]]:
    src_dir = shared / UNSC
    sources = sorted(src_dir.glob("S_RES_*.txt"))
    if len(sources) < 900:
        raise SystemExit(f"expected the 902 resolutions in {src_dir}, found {len(sources)}")
    for src in sources:
        copy_bytes(src, corpus / UNSC / src.name)
    copy_bytes(src_dir / "SOURCE.md", corpus / UNSC / "SOURCE.md")
    # One row for the folder: what the collection is. Everything else (number, symbol, title,
    # year, date, meeting, vote) comes from each text.
    return [
        row(
            f"{UNSC}/*.txt",
            organisation="United Nations Security Council",
            doc_type="resolution",
            language="en",
        )
    ]


def import_communique(shared: Path, corpus: Path) -> list[dict[str, str]]:
    txt, pdf = corpus / f"{COMMUNIQUE}.txt", corpus / f"{COMMUNIQUE}.pdf"
    copy_bytes(shared / COMMUNIQUE_SOURCE, txt)
    pages = render_communique_pdf(
        txt.read_text(encoding="utf-8"),
        pdf,
        title=COMMUNIQUE_META["title"],
        author="OCO Secretariat",
    )
    if pages not in COMMUNIQUE_PAGES:
        raise SystemExit(f"{pdf} has {pages} pages, want 3-4: adjust the layout")
    return [row(f"{COMMUNIQUE}.{ext}", **COMMUNIQUE_META) for ext in ("pdf", "txt")]


def write_manifest(path: Path, rows: list[dict[str, str]]) -> None:
    """Write the rows, keeping existing rows for paths this script does not manage."""
    managed = {r["path"] for r in rows}
    kept: list[dict[str, str]] = []
    if path.exists():
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != FIELDS:
                raise SystemExit(f"{path}: header is {reader.fieldnames}, want {FIELDS}")
            kept = [r for r in reader if r["path"] not in managed]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(kept + rows, key=lambda r: r["path"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared",
        help="read-only source material (default: ../shared next to the repo)",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=REPO / "corpus",
        help="corpus folder to write (default: corpus/ in the repo)",
    )
    args = parser.parse_args(argv)
    rows = (
        import_ungdc(args.shared, args.corpus)
        + import_resolutions(args.shared, args.corpus)
        + import_communique(args.shared, args.corpus)
    )
    write_manifest(args.corpus / "manifest.csv", rows)
    print(f"wrote {len(rows)} documents and manifest.csv to {args.corpus}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
