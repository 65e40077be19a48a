"""Places whose names hold a country's name ("New Guinea", "South Georgia", "East Germany"):
the question reader matches them whole, so that the country inside is not read.

ISO 3166 gives many such names itself ("American Samoa", "South Sudan"; indexer/countries.py
holds them); these are the names it does not give. A place that is, or was, a country of its
own carries that country's code ("Northern Rhodesia" became Zambia); a part of another
country, an island, a sea or a union of several carries none (None): the words name no one
country, so nothing is read from them.
"""

from __future__ import annotations

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
