"""Countries by name and code: every ISO 3166 country and territory (from pycountry), with
the other names people use for the Oceania Customs Organisation's members (adjectives,
capitals, abbreviations).

The question reader (search_api/understanding.py) reads any of these names for a country the
index holds, so that a session paper uploaded for the Cook Islands is found by "what did the
Cook Islands say", not only the fourteen countries of the shipped speeches; the indexer names
a country whose code a document gives without its name.
"""

from __future__ import annotations

import functools

import pycountry

# Names ISO does not give: adjectives, capitals and abbreviations of the OCO's members and
# neighbours, as officials write them.
ALIASES: dict[str, list[str]] = {
    "AUS": ["Australian", "Australians", "Canberra"],
    "FJI": ["Fijian", "Fijians", "Suva"],
    "FSM": ["Micronesia", "Micronesian", "FSM", "Palikir"],
    "KIR": ["I-Kiribati", "Tarawa"],
    "MHL": ["the Marshall Islands", "Marshallese", "RMI", "Majuro"],
    "NRU": ["Nauruan"],
    "NZL": ["New Zealander", "NZ", "Kiwi", "Wellington"],
    "PLW": ["Palauan", "Ngerulmud"],
    "PNG": ["Papua New Guinean", "PNG", "Port Moresby"],
    "SLB": ["the Solomons", "Solomons", "Solomon Islander", "Honiara"],
    "TON": ["Tongan", "Nuku'alofa"],
    "TUV": ["Tuvaluan", "Funafuti"],
    "VUT": ["Ni-Vanuatu", "Port Vila"],
    "WSM": ["Samoan", "Apia"],
    "COK": ["the Cook Islands", "Cook Islander", "Cook Islanders", "Rarotonga"],
    "NIU": ["Niuean", "Alofi"],
    "TKL": ["Tokelauan"],
    "PYF": ["Tahiti", "Tahitian", "Papeete"],
    "NCL": ["New Caledonian", "Noumea", "Nouméa"],
    "WLF": ["Wallis and Futuna Islands"],
    "ASM": ["American Samoan", "Pago Pago"],
    "GUM": ["Guamanian", "Hagåtña", "Hagatna"],
    "MNP": ["the Northern Mariana Islands", "Northern Marianas", "CNMI", "Saipan"],
    "NFK": ["Norfolk Islander"],
    "USA": ["United States", "the United States", "US", "U.S.", "America", "American"],
    "GBR": ["United Kingdom", "the United Kingdom", "UK", "Britain", "Great Britain", "British"],
    "TLS": ["East Timor", "Timorese"],
    "IDN": ["Indonesian", "Jakarta"],
    "JPN": ["Japanese", "Tokyo"],
    "CHN": ["Chinese", "Beijing", "PRC"],
    "FRA": ["French", "Paris"],
    "RUS": ["Russia", "Russian"],
    "TUR": ["Turkey"],
    "PSE": ["Palestine"],
    "COD": ["Democratic Republic of the Congo", "DR Congo", "DRC"],
}  # fmt: skip


@functools.cache
def aliases() -> dict[str, str]:
    """Every name of every country → its ISO 3166 alpha-3 code: ISO's short, common and
    official names without their inverted forms ("Korea, Republic of"), the code itself,
    and ALIASES."""
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
            names.setdefault(name, code)
    return names


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
