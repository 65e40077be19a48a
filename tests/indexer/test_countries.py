"""Countries by name and code, and the countries a text is about."""

from __future__ import annotations

from indexer import countries


def test_every_iso_country_is_known_by_its_names_and_code():
    names = countries.aliases()
    assert names["Cyprus"] == names["Republic of Cyprus"] == names["CYP"] == "CYP"
    assert names["Iran"] == names["Islamic Republic of Iran"] == "IRN"
    assert names["Cook Islands"] == names["Cook Islander"] == "COK"
    assert names["Fijian"] == names["Suva"] == "FJI"
    assert names["Southern Rhodesia"] == "RHO" and names["Zaire"] == "ZAR"  # historic
    assert "Korea, Republic of" not in names  # ISO's inverted forms are no one's words


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
    assert countries.mentioned("The Council met.") == []


def test_a_name_as_typed_gives_its_code():
    assert countries.by_name("iraq") == countries.by_name("the Republic of Iraq") == "IRQ"
    assert countries.by_name("  Cook   Islands ") == "COK"
    assert countries.by_name("Atlantis") is None
