"""Document metadata: manifest rows and sidecars written by users, the rest derived."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.documents import load
from indexer.metadata import Manifest, MetadataError, derive, slug
from indexer.normalise import normalise
from tests.conftest import COMMUNIQUE_TXT, CORPUS

HEADER = (
    "path,id,title,organisation,conference,year,date,place,doc_type,country,country_name,language"
)


def write_manifest(root: Path, *rows: str, header: str = HEADER) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def write_sidecar(root: Path, source: str, data: dict | str) -> None:
    path = root / (source + ".meta.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def plain(text: str = "Members met and agreed.") -> object:
    return normalise([text])


# --- manifest ------------------------------------------------------------------------------


def test_manifest_row_applies_to_its_file(tmp_path):
    write_manifest(
        tmp_path, "pif/report.pdf,,Forum Report,Pacific Islands Forum,,2023,,,report,,,en"
    )
    values = Manifest.load(tmp_path).lookup(tmp_path, "pif/report.pdf")
    assert values == {
        "title": "Forum Report",
        "organisation": "Pacific Islands Forum",
        "year": "2023",
        "doc_type": "report",
        "language": "en",
    }


def test_glob_rows_apply_in_order_and_later_rows_override(tmp_path):
    write_manifest(
        tmp_path,
        "pif/*,,,Pacific Islands Forum,,2020,,,report,,,en",
        "pif/*.pdf,,,,,2021,,,communique,,,",
        "pif/leaders.pdf,,Leaders Communiqué,,,2022,,,,,,",
    )
    manifest = Manifest.load(tmp_path)
    leaders = manifest.lookup(tmp_path, "pif/leaders.pdf")
    assert leaders["organisation"] == "Pacific Islands Forum"  # from the first row
    assert leaders["doc_type"] == "communique"  # the second row overrides the first
    assert leaders["year"] == "2022"  # the third row overrides both
    assert leaders["title"] == "Leaders Communiqué"
    other = manifest.lookup(tmp_path, "pif/minutes.pdf")
    assert other == {
        "organisation": "Pacific Islands Forum",
        "year": "2021",
        "doc_type": "communique",
        "language": "en",
    }
    text = manifest.lookup(tmp_path, "pif/notes.txt")
    assert text["year"] == "2020" and text["doc_type"] == "report"


def test_empty_cells_of_a_later_row_do_not_erase_earlier_values(tmp_path):
    write_manifest(
        tmp_path,
        "speeches/*,,,UN General Assembly,,,,,speech,,,en",
        "speeches/tuv.txt,,Tuvalu statement,,,2019,,,,TUV,Tuvalu,",
    )
    values = Manifest.load(tmp_path).lookup(tmp_path, "speeches/tuv.txt")
    assert values["organisation"] == "UN General Assembly"
    assert values["language"] == "en"
    assert values["doc_type"] == "speech"


def test_rows_for_other_files_do_not_apply(tmp_path):
    write_manifest(tmp_path, "pif/*.pdf,,,Pacific Islands Forum,,,,,,,,")
    assert Manifest.load(tmp_path).lookup(tmp_path, "oco/communique.txt") == {}


def test_missing_manifest_gives_no_values(tmp_path):
    assert Manifest.load(tmp_path).lookup(tmp_path, "any.txt") == {}


def test_manifest_saved_with_bom_and_crlf_is_read(tmp_path):
    content = HEADER + "\r\n" + "a.txt,,Title A,,,2019,,,,,,\r\n"
    (tmp_path / "manifest.csv").write_bytes(b"\xef\xbb\xbf" + content.encode("utf-8"))
    assert Manifest.load(tmp_path).lookup(tmp_path, "a.txt") == {"title": "Title A", "year": "2019"}


def test_manifest_values_are_stripped_of_spaces(tmp_path):
    write_manifest(tmp_path, "a.txt,,  Spaced Title  ,,,  2019 ,,,,,,")
    assert Manifest.load(tmp_path).lookup(tmp_path, "a.txt") == {
        "title": "Spaced Title",
        "year": "2019",
    }


def test_manifest_row_without_path_is_an_error_naming_the_line(tmp_path):
    write_manifest(tmp_path, "a.txt,,Title A,,,,,,,,,", ",,Orphan,,,,,,,,,")
    with pytest.raises(MetadataError, match="line 3"):
        Manifest.load(tmp_path)


def test_extra_manifest_columns_are_kept_as_extra_metadata(tmp_path):
    write_manifest(tmp_path, "a.txt,Ref-7", header="path,reference")
    values = Manifest.load(tmp_path).lookup(tmp_path, "a.txt")
    assert derive(values, "a.txt", plain()).extra == {"reference": "Ref-7"}


def test_real_corpus_manifest_describes_the_communique():
    values = Manifest.load(CORPUS).lookup(CORPUS, COMMUNIQUE_TXT)
    assert values["title"] == "Communiqué of the 26th OCO Annual Conference"
    assert values["doc_type"] == "communique"
    assert values["year"] == "2024"


# --- sidecars ------------------------------------------------------------------------------


def test_sidecar_overrides_the_manifest(tmp_path):
    write_manifest(tmp_path, "pif/report.pdf,,Manifest Title,Pacific Islands Forum,,2020,,,,,,")
    write_sidecar(tmp_path, "pif/report.pdf", {"title": "Sidecar Title", "year": "2023"})
    values = Manifest.load(tmp_path).lookup(tmp_path, "pif/report.pdf")
    assert values["title"] == "Sidecar Title"
    assert values["year"] == "2023"
    assert values["organisation"] == "Pacific Islands Forum"


def test_sidecar_empty_and_null_values_do_not_erase_the_manifest(tmp_path):
    write_manifest(tmp_path, "a.txt,,Manifest Title,,,2020,,Apia,,,,")
    write_sidecar(tmp_path, "a.txt", {"title": "", "place": None, "doc_type": "report"})
    values = Manifest.load(tmp_path).lookup(tmp_path, "a.txt")
    assert values["title"] == "Manifest Title"
    assert values["place"] == "Apia"
    assert values["doc_type"] == "report"


def test_sidecar_without_manifest(tmp_path):
    write_sidecar(tmp_path, "a.txt", {"title": "Only Sidecar", "year": 2018})
    document = derive(Manifest.load(tmp_path).lookup(tmp_path, "a.txt"), "a.txt", plain())
    assert document.title == "Only Sidecar"
    assert document.year == 2018


def test_sidecar_with_invalid_json_is_an_error_naming_the_file(tmp_path):
    write_sidecar(tmp_path, "a.txt", "{title: oops")
    with pytest.raises(MetadataError, match=r"a\.txt\.meta\.json"):
        Manifest.load(tmp_path).lookup(tmp_path, "a.txt")


def test_sidecar_that_is_not_an_object_is_an_error(tmp_path):
    write_sidecar(tmp_path, "a.txt", '["a", "list"]')
    with pytest.raises(MetadataError, match="object"):
        Manifest.load(tmp_path).lookup(tmp_path, "a.txt")


# --- derived values ------------------------------------------------------------------------


def test_user_metadata_becomes_the_document():
    values = {
        "title": "Tuvalu statement",
        "organisation": "UN General Assembly",
        "year": "2019",
        "date": "2019-09-27",
        "doc_type": "speech",
        "country": "tuv",
        "country_name": "Tuvalu",
        "language": "en",
    }
    document = derive(values, "ungdc-pacific/TUV_74_2019.txt", plain())
    assert document.title == "Tuvalu statement"
    assert document.year == 2019
    assert document.country == "TUV"  # codes are upper-cased
    assert document.doc_type == "speech"
    assert document.id == "ungdc-pacific-tuv_74_2019-txt"
    assert document.source == "ungdc-pacific/TUV_74_2019.txt"


def test_a_country_given_by_its_code_alone_is_named():
    cook = derive({"country": "cok"}, "oco/cook-paper.md", plain())
    named = derive({"country": "COK", "country_name": "Kūki 'Āirani"}, "oco/a.md", plain())
    assert (cook.country, cook.country_name) == ("COK", "Cook Islands")
    assert named.country_name == "Kūki 'Āirani"  # what the user wrote stays
    assert derive({"country": "XQZ"}, "oco/b.md", plain()).country_name is None


def test_the_countries_a_paper_is_about_are_written_as_codes_or_names():
    paper = derive({"countries": "Fiji, WSM, the Cook Islands"}, "oco/paper.md", plain())
    assert paper.countries == "FJI,WSM,COK"
    with pytest.raises(MetadataError, match="'Atlantis' is neither"):
        derive({"countries": "FJI, Atlantis"}, "oco/paper.md", plain())


def test_title_derived_from_first_heading_when_missing():
    text = normalise(["# Annual Report of the Forum\n\nThe Forum met in Apia."])
    assert derive({}, "pif/report.txt", text).title == "Annual Report of the Forum"


def test_title_of_the_communique_without_manifest_is_its_first_heading():
    loaded = load(CORPUS, COMMUNIQUE_TXT)
    document = derive({}, COMMUNIQUE_TXT, loaded.text)
    assert document.title == "Communiqué from the OCO Annual Conference 2024"
    assert document.year == 2024


def test_title_from_file_name_when_there_is_no_heading():
    text = normalise(["the text has no heading at all, only a sentence."])
    assert derive({}, "pif/forum_economic-ministers.txt", text).title == (
        "Forum economic ministers"
    )


def test_year_derived_from_text_when_missing():
    text = normalise(["The Forum met in Apia in September 2017 and agreed on a plan."])
    assert derive({}, "a.txt", text).year == 2017


def test_year_derived_from_date_before_text():
    text = normalise(["The Forum recalled its decisions of 2015."])
    assert derive({"date": "2019-08-13/2019-08-16"}, "a.txt", text).year == 2019


def test_year_missing_everywhere_is_none():
    assert derive({}, "a.txt", normalise(["No year is given here at all."])).year is None


def test_numbers_that_are_not_years_are_not_taken_for_the_year():
    text = normalise(["Resolution 1325 was adopted by 2500 delegates in room 3001."])
    assert derive({}, "a.txt", text).year is None


@pytest.mark.parametrize("year", ["twenty-nineteen", "2019a", "2019.5", "FY2020"])
def test_non_numeric_year_is_a_metadata_error(year):
    with pytest.raises(MetadataError, match="year"):
        derive({"year": year}, "a.txt", plain())


def test_year_with_spaces_is_accepted():
    assert derive({"year": " 2024 "}, "a.txt", plain()).year == 2024


def test_id_from_metadata_wins_over_slug():
    assert derive({"id": "oco-2024"}, "oco/x.txt", plain()).id == "oco-2024"


def test_doc_type_defaults_to_document():
    assert derive({}, "a.txt", plain()).doc_type == "document"


def test_unknown_keys_are_kept_as_extra():
    document = derive({"reference": "A/74/PV.3", "pages": 12}, "a.txt", plain())
    assert document.extra == {"reference": "A/74/PV.3", "pages": 12}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("ungdc-pacific/TUV_74_2019.txt", "ungdc-pacific-tuv_74_2019-txt"),
        ("oco/oco-26th-annual-conference-2024-communique.pdf",
         "oco-oco-26th-annual-conference-2024-communique-pdf"),
        ("Some Folder/Café Report (Final).PDF", "some-folder-caf-report-final-pdf"),
        ("a.txt", "a-txt"),
    ],
)  # fmt: skip
def test_slug_ids_are_readable_and_url_safe(source, expected):
    assert slug(source) == expected


def test_pdf_and_text_renditions_get_different_ids():
    assert slug("oco/c.pdf") != slug("oco/c.txt")
