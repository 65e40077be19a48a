"""Countries by name and code, and the countries a text is about."""

from __future__ import annotations

import json

import pytest

from indexer import countries
from indexer.normalise import normalise
from tests.conftest import CORPUS, REPO


def test_every_iso_country_is_known_by_its_names_and_code():
    names = countries.aliases()
    assert names["Cyprus"] == names["Republic of Cyprus"] == names["CYP"] == "CYP"
    assert names["Iran"] == names["Islamic Republic of Iran"] == "IRN"
    assert names["Cook Islands"] == names["Cook Islander"] == "COK"
    assert names["Fijian"] == names["Suva"] == "FJI"
    assert names["Southern Rhodesia"] == "RHO" and names["Czechoslovakia"] == "CSK"  # historic
    assert names["Zaire"] == "COD"  # the same state as today's, not ISO's withdrawn ZAR
    assert names["Burma"] == names["Myanmar"] == "MMR" and names["Dahomey"] == "BEN"
    assert names["Upper Volta"] == names["Burkina Faso"] == "BFA"
    assert names["New Hebrides"] == names["Vanuatu"] == "VUT"
    assert "Korea, Republic of" not in names  # ISO's inverted forms are no one's words


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        # the names researchers type for the Council's years, beside ISO's
        ("Falklands", "FLK"),
        ("Malvinas", "FLK"),
        ("Falkland Islands", "FLK"),
        ("Ivory Coast", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("Swaziland", "SWZ"),
        ("Macedonia", "MKD"),
        ("former Yugoslav Republic of Macedonia", "MKD"),
        ("Cape Verde", "CPV"),
        ("Ceylon", "LKA"),
        ("Siam", "THA"),
        ("Holy See", "VAT"),
        ("Tanganyika", "TZA"),
        ("Zanzibar", "TZA"),
        ("Persia", "IRN"),
        ("Aotearoa", "NZL"),
        ("Aotearoa New Zealand", "NZL"),
        # and those of the same countries given before them (one entry a code)
        ("Iranian", "IRN"),
        ("NZ", "NZL"),
        ("New Zealander", "NZL"),
        ("Wellington", "NZL"),
    ],
)
def test_a_former_or_common_name_gives_its_country(typed: str, code: str):
    assert countries.aliases()[typed] == code


def test_a_code_is_named_as_people_write_it():
    assert countries.name("cok") == "Cook Islands"
    assert countries.name("FSM") == "Federated States of Micronesia"
    assert countries.name("IRN") == "Iran"
    assert countries.name("XQZ") is None


def test_a_text_is_about_the_countries_it_names_most():
    text = (
        "Condemning the invasion of Kuwait by Iraq,\n"
        "Demands that Iraq withdraw; the Iraqi forces; the Government of Kuwait,\n"
        "Having considered the letter from the Permanent Representative of Austria,\n"
        "Noting the letter of the Permanent Representative of Austria,\n"
        "Takes note of the position of Japan,"
    )
    assert countries.mentioned(text) == ["IRQ", "KWT"]  # Austria wrote; Japan once
    assert countries.mentioned("The situation in Cyprus.") == ["CYP"]
    # the whole name, not "the United Kingdom" then Ireland; voters are not subjects
    uk = "calls on the United Kingdom of Great Britain and Northern Ireland"
    votes = "Adopted by 10 votes to 1 (Union of Soviet Socialist Republics)."
    assert countries.mentioned(f"{uk}.\n{uk}.\n{votes}\n{votes}") == ["GBR"]
    assert countries.mentioned("The Council met.") == []


def test_the_congo_of_a_resolution_is_told_by_its_capital_or_its_date():
    congo = "the situation in the Republic of the Congo. The Republic of the Congo"
    assert countries.mentioned(f"{congo}, capital Leopoldville.", year=1960) == ["COD"]
    assert countries.mentioned(f"{congo}, capital Brazzaville.", year=1960) == ["COG"]
    # the Council's Congo question of 1960-1963 is the former Belgian Congo's
    assert countries.mentioned(congo, year=1961) == ["COD"]
    assert countries.mentioned(congo, year=1997) == countries.mentioned(congo) == ["COG"]
    assert countries.mentioned("Zaire and Zaire.") == ["COD"]
    assert countries.mentioned("The Democratic Republic of the Congo and the Congo.") == ["COD"]


def test_a_name_as_typed_gives_its_code():
    assert countries.by_name("iraq") == countries.by_name("the Republic of Iraq") == "IRQ"
    assert countries.by_name("  Cook   Islands ") == "COK"
    assert countries.by_name("Atlantis") is None
    assert countries.code(" irq ") == countries.code("Iraq") == "IRQ"
    assert countries.code("Atlantis") is None and countries.code("R1X") is None


def test_the_countries_read_agree_with_forty_resolutions_judged_by_hand():
    """eval/countries_gold.json: 40 resolutions, 1946-1993, read by a person who listed the
    countries each is about (senders of letters, troop contributors, voters and passing
    mentions left out). Measured: precision 0.914, recall 0.726; most of what is missed is
    the sixteen states of one admission resolution, each named once."""
    gold = json.loads((REPO / "eval" / "countries_gold.json").read_text(encoding="utf-8"))
    found = wanted = right = 0
    for entry in gold["resolutions"]:
        path = CORPUS / "unsc-resolutions" / entry["file"]
        text = normalise([path.read_text(encoding="utf-8")]).text
        got = set(countries.mentioned(text, year=entry["year"]))
        found, wanted = found + len(got), wanted + len(entry["countries"])
        right += len(got & set(entry["countries"]))
    assert len(gold["resolutions"]) == 40
    assert right / found >= 0.9 and right / wanted >= 0.7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the Trust Territory of New Guinea is no Guinea (resolutions on it were tagged GIN)
        ("the Trust Territory of New Guinea. The people of New Guinea voted.", []),
        # the Council's name for Guinea-Bissau before its independence (312, 322)
        ("the people of Guinea (Bissau) and of Guinea (Bissau) again", ["GNB"]),
        ("East Germany and East Germany, not Germany", ["DDR"]),
        ("Western Samoa and Western Samoa", ["WSM"]),
    ],
)
def test_a_place_whose_name_holds_a_countrys_is_read_whole(text, expected):
    assert countries.mentioned(text) == expected
