"""Countries by name and code: every ISO 3166 country and territory (from pycountry, the
historic ones too), with the other names people use for the Oceania Customs Organisation's
members and the Security Council's parties (adjectives, capitals, abbreviations); and the
countries a text is about.

The question reader (search_api/understanding.py) reads any of these names for a country the
index holds, so that a session paper uploaded for the Cook Islands is found by "what did the
Cook Islands say", not only the fourteen countries of the shipped speeches. The indexer names
a country whose code a document gives without its name, and records the countries each
resolution is about (`countries`: 661 → KWT,IRQ), which questions and filters then match.
"""

from __future__ import annotations

import collections
import functools
import re

import pycountry

# Names ISO does not give: adjectives, capitals and abbreviations of the OCO's members and
# neighbours, as officials write them.
ALIASES: dict[str, list[str]] = {
    "AUS": ["Australian", "Australians", "Canberra"],
    "FJI": ["Fijian", "Fijians", "Suva"],
    "FSM": ["Micronesia", "Micronesian", "FSM", "Palikir"],
    "KIR": ["I-Kiribati", "Tarawa"],
    "MHL": ["Marshallese", "RMI", "Majuro"],
    "NRU": ["Nauruan"],
    "NZL": ["New Zealander", "NZ", "Kiwi", "Wellington", "Aotearoa", "Aotearoa New Zealand"],
    "PLW": ["Palauan", "Ngerulmud"],
    "PNG": ["Papua New Guinean", "PNG", "Port Moresby"],
    "SLB": ["Solomons", "Solomon Islander", "Honiara"],
    "TON": ["Tongan", "Nuku'alofa"],
    "TUV": ["Tuvaluan", "Funafuti"],
    "VUT": ["Ni-Vanuatu", "Port Vila"],
    "WSM": ["Samoan", "Apia"],
    "COK": ["Cook Islander", "Cook Islanders", "Rarotonga"],
    "NIU": ["Niuean", "Alofi"],
    "TKL": ["Tokelauan"],
    "PYF": ["Tahiti", "Tahitian", "Papeete"],
    "NCL": ["New Caledonian", "Noumea", "Nouméa"],
    "WLF": ["Wallis and Futuna Islands"],
    "ASM": ["American Samoan", "Pago Pago"],
    "GUM": ["Guamanian", "Hagåtña", "Hagatna"],
    "MNP": ["Northern Marianas", "CNMI", "Saipan"],
    "NFK": ["Norfolk Islander"],
    # Adjectives that are also of a language, an ocean or a continent ("the British
    # capital", "the Indian Ocean", "a South American country") are left out, and so is
    # Paris (the climate agreement).
    "USA": ["United States", "U.S.", "USA", "US"],
    "GBR": ["United Kingdom", "UK", "Britain", "Great Britain"],
    "TLS": ["East Timor", "Timorese"],
    "IDN": ["Jakarta"],
    "JPN": ["Tokyo"],
    "CHN": ["Beijing", "PRC"],
    "TWN": ["Republic of China", "Taipei"],  # not "China" inside it
    "RUS": ["Russia"],
    "TUR": ["Turkey"],
    "PSE": ["Palestine"],
    "COD": ["Democratic Republic of the Congo", "DR Congo", "DRC", "Congo-Kinshasa",
            "Congo (Kinshasa)", "Congo (Leopoldville)", "Congo (Léopoldville)", "Zaire",
            "Republic of Zaire", "Zairian"],
    "COG": ["Congo-Brazzaville", "Congo (Brazzaville)"],
    # The Security Council's parties of 1946-1994, as its resolutions and researchers name
    # them (adjectives too: resolution 242 names "Israeli armed forces", never Israel).
    "ISR": ["Israeli"],
    "IRQ": ["Iraqi"],
    "KWT": ["Kuwaiti"],
    "LBN": ["Lebanese"],
    "SYR": ["Syrian"],
    "EGY": ["Egyptian"],
    "JOR": ["Jordanian"],
    "IRN": ["Iranian", "Persia"],
    "CYP": ["Cypriot", "Cypriots"],
    "ZAF": ["South African", "Pretoria"],
    "NAM": ["Namibian", "South West Africa"],
    "AGO": ["Angolan"],
    "SOM": ["Somali"],
    "RWA": ["Rwandese", "Rwandan"],
    "HTI": ["Haitian"],
    "LBY": ["Libyan Arab Jamahiriya", "Libyan"],
    "KHM": ["Kampuchea", "Democratic Kampuchea", "Cambodian"],
    "BIH": ["Bosnia", "Bosnian"],
    "HRV": ["Croatian"],
    "PAK": ["Pakistani"],
    "MOZ": ["Mozambican"],
    "ZMB": ["Zambian"],
    "SUN": ["Union of Soviet Socialist Republics", "Soviet Union"],
    "YUG": ["Yugoslav", "Socialist Federal Republic of Yugoslavia",
            "Federal Republic of Yugoslavia"],
    "RHO": ["Rhodesia", "Rhodesian"],
    "GNB": ["Guinea (Bissau)"],  # the Council's name for it before independence (312, 322)
    "KOR": ["Republic of Korea"],
    # Names a researcher types for the countries of the Council's years, as they were then
    # called or as English still calls them
    "CIV": ["Ivory Coast", "Cote d'Ivoire", "Ivorian"],
    "SWZ": ["Swaziland"],
    "MKD": ["Macedonia", "former Yugoslav Republic of Macedonia"],
    "CPV": ["Cape Verde"],
    "FLK": ["Falkland Islands", "Falklands", "Malvinas"],
    "VAT": ["Holy See", "Vatican"],
    "LKA": ["Ceylon"],
    "THA": ["Siam"],
    "TZA": ["Tanganyika", "Zanzibar"],
}  # fmt: skip


# Historic codes of states that only changed their name: "Burma" is Myanmar, as "Zaire" is
# the Democratic Republic of the Congo, so that either name finds the documents of both
# ("Myanmar" read nothing: the index held only Burma's). Southern Rhodesia (RHO) stays
# itself: the Council did not treat its regime as the state that became Zimbabwe.
RENAMED = {"BUR": "MMR", "DHY": "BEN", "HVO": "BFA", "BYS": "BLR", "NHB": "VUT"}


# Abbreviations people type in lower case too ("nz climate policy", "fsm fisheries"); ISO's
# codes ("can", "per", "arm" are words), "US" (us) and "PNG" (png images) are read only as
# written, in capitals.
ANY_CASE = frozenset({"NZ", "FSM", "RMI", "UK", "USA", "DRC", "PRC", "CNMI"})


# Places whose names hold a country's name ("New Guinea", "South Georgia", "East Germany")
# and that ISO does not give, matched whole so that the country inside is not read, in
# questions and in documents alike. A place that is, or was, a country of its own carries
# that country's code ("Northern Rhodesia" became Zambia); a part of another country, an
# island, a sea or a union of several carries none (None): the words name no one country.
PLACES: dict[str, str | None] = {
    # former names and halves of countries
    "Western Samoa": "WSM",
    "East Germany": "DDR",
    "West Germany": "DEU",
    "Northern Rhodesia": "ZMB",
    "Northern Rhodesian": "ZMB",
    "East Pakistan": "BGD",
    "West Pakistan": "PAK",
    "North Yemen": "YEM",
    "South Yemen": "YMD",
    "North Vietnam": "VDR",
    "South Vietnam": "VNM",
    "British Honduras": "BLZ",
    "French Sudan": "MLI",
    "Portuguese Guinea": "GNB",
    "Spanish Guinea": "GNQ",
    "French Guinea": "GIN",
    "Guinea Bissau": "GNB",  # as often typed without the hyphen
    "Belgian Congo": "COD",
    "French Congo": "COG",
    "Middle Congo": "COG",
    "Papua and New Guinea": "PNG",  # the territory of 1949-1975
    "Territory of Papua and New Guinea": "PNG",
    # territories with a code of their own
    "South Georgia": "SGS",
    # parts of other countries, islands, seas, unions: no one country
    "New Guinea": None,
    "West New Guinea": None,
    "Netherlands New Guinea": None,
    "Dutch New Guinea": None,
    "New Britain": None,  # islands of Papua New Guinea
    "New Ireland": None,
    "Northern Ireland": None,
    "New Mexico": None,
    "New Jersey": None,
    "Niger Delta": None,
    "Lake Chad": None,
    "Gulf of Guinea": None,
    "Gulf of Mexico": None,
    "Gulf of Oman": None,
    "Gulf of Thailand": None,
    "Sea of Japan": None,
    "South China Sea": None,
    "East China Sea": None,
    "Federation of Rhodesia and Nyasaland": None,
}


@functools.cache
def aliases() -> dict[str, str]:
    """Every name of every country → its ISO 3166 alpha-3 code: ISO's short, common and
    official names without their inverted forms ("Korea, Republic of"), the code itself,
    and ALIASES; none begins with "the" (ARTICLE matches it before any name: "the United
    Kingdom" must not stop "the United Kingdom of Great Britain and Northern Ireland" at
    "Kingdom")."""
    names: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_3
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name and "," not in name:
                names.setdefault(name.removeprefix("the "), code)
        names.setdefault(code, code)
    for code, others in ALIASES.items():
        for name in others:
            names.setdefault(name.removeprefix("the "), code)
    for country in pycountry.historic_countries:  # "Southern Rhodesia", "Zaire", "USSR"
        code = RENAMED.get(country.alpha_3, country.alpha_3)
        names.setdefault(country.name.split(", ")[0], code)
    for place, code in PLACES.items():  # former names: "Western Samoa"
        if code is not None:
            names.setdefault(place, code)
    return names


ARTICLE = r"(?:the\s+)?"  # "the Cook Islands", "the United Kingdom"

# Two countries were "the Republic of the Congo" in 1960: the former Belgian Congo (capital
# Leopoldville, now the Democratic Republic of the Congo, COD) and the former French Congo
# (capital Brazzaville, COG, which kept the name). ISO gives the name to COG alone; in a
# question it may mean either (`EITHER_CONGO`), in a document its capitals and its date
# decide (`mentioned`).
EITHER_CONGO = ("Congo", "Republic of the Congo")
_BELGIAN_CONGO = re.compile(r"L[ée]opoldville|Kinshasa|Democratic Republic of the Congo|Zaire")


@functools.cache
def _folded() -> dict[str, str]:
    return {name.casefold(): code for name, code in aliases().items()}


def by_name(text: str) -> str | None:
    """The code of the country `text` names, in any case ("iraq", "the Cook Islands")."""
    key = " ".join(text.split()).casefold()
    return _folded().get(key) or _folded().get(key.removeprefix("the "))


def code(text: str) -> str | None:
    """An alpha-3 code as a user writes a country: the code itself in any case ("irq"), or
    one of its names ("Iraq"); None when it is neither."""
    text = text.strip()
    if len(text) == 3 and text.isascii() and text.isalpha():
        return text.upper()
    return by_name(text)


@functools.cache
def _in_text() -> re.Pattern:
    """Any name of a country as a document writes it: capitalised, whole words, the longest
    first ("Papua New Guinea" before "Guinea"); codes and other capitals-only abbreviations
    are left out ("US" in "US$", "PNG" in a file name)."""
    every = {*aliases(), *PLACES}  # "New Guinea" whole, then nothing read from it
    names = sorted((n for n in every if not n.isupper()), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w-])")


# Who wrote ("the letter from the Permanent Representative of Austria") and who voted
# ("Adopted … by 10 votes to 1 (Union of Soviet Socialist Republics)"), not what about.
_SENDER = re.compile(
    r"Permanent (?:Representative|Mission|Observer)|Charg[ée] d|\bvotes? to\b|\babstentions?\b"
)


def mentioned(
    text: str, most: int = 4, year: int | None = None, context: str | None = None
) -> list[str]:
    """The codes of the countries a text is about: those it names at least twice (or the one
    it names most when none is named twice), most named first, at most `most`. Paragraphs
    that name a letter's sender or the votes are left out. `year`: the text's, which tells
    which Congo "the Republic of the Congo" is when its capital is not named; `context`: the
    document around the text, whose notes may name the capital ("28 Republic of the Congo,
    capital Brazzaville.")."""
    about = "\n".join(p for p in text.splitlines() if not _SENDER.search(p))
    named = (aliases().get(m.group(0)) for m in _in_text().finditer(about))
    counts = collections.Counter(code for code in named if code is not None)
    if counts["COG"] and _which_congo(context or text, year) == "COD":
        counts["COD"] += counts.pop("COG")
    often = [code for code, n in counts.most_common(most) if n >= 2]
    return often or [code for code, _ in counts.most_common(1)]


def _which_congo(text: str, year: int | None) -> str:
    """COD or COG for "the Congo" in `text`: the capital it names; without one, the Belgian
    Congo in 1960-1963 (the Council's "Congo question" of those years), else ISO's COG."""
    belgian, french = bool(_BELGIAN_CONGO.search(text)), "Brazzaville" in text
    if belgian != french:
        return "COD" if belgian else "COG"
    return "COD" if not french and year is not None and 1960 <= year <= 1963 else "COG"


@functools.cache
def name(code: str) -> str | None:
    """The name a reader expects for an alpha-3 code ("COK" → "Cook Islands", "IRN" →
    "Iran"), None for a code ISO does not have."""
    country = pycountry.countries.get(alpha_3=code.upper())
    if country is None:
        return None
    official = getattr(country, "official_name", None)
    if "," in country.name and official:  # "Micronesia, Federated States of"
        return getattr(country, "common_name", None) or official.removeprefix("the ")
    return getattr(country, "common_name", None) or country.name
