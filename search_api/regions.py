"""Regions as people describe a country without naming it: "a Gulf emirate", "a South American
country", "a Southeast Asian kingdom", "the Horn of Africa", "which Melanesian government".

A question in other words hides the country it is about behind its region (the documents'
names being what the asker does not remember); the reader (search_api/understanding.py)
reads such words as a preference for documents of the region's countries: the country that
spoke, or one a resolution is about. Membership follows the UN's M49 geoscheme, with the
names the Security Council's years used (Southern Rhodesia, Yugoslavia, the Soviet Union,
the two Yemens and Vietnams) where the region held them. "Pacific" is not read: the archive's
own region, it tells nothing apart; nor "Micronesian", which names the Federated States.
"""

from __future__ import annotations

_NORTH_AFRICA = ("DZA", "EGY", "LBY", "MAR", "SDN", "TUN", "ESH")
_WEST_AFRICA = (
    "BEN",
    "BFA",
    "CPV",
    "CIV",
    "GMB",
    "GHA",
    "GIN",
    "GNB",
    "LBR",
    "MLI",
    "MRT",
    "NER",
    "NGA",
    "SEN",
    "SLE",
    "TGO",
)
_EAST_AFRICA = (
    "BDI",
    "COM",
    "DJI",
    "ERI",
    "ETH",
    "KEN",
    "MDG",
    "MWI",
    "MUS",
    "MOZ",
    "RWA",
    "SYC",
    "SOM",
    "SSD",
    "TZA",
    "UGA",
    "ZMB",
    "ZWE",
    "RHO",
)
_CENTRAL_AFRICA = ("AGO", "CMR", "CAF", "TCD", "COG", "COD", "GNQ", "GAB", "STP", "RWA", "BDI")
_SOUTHERN_AFRICA = ("BWA", "SWZ", "LSO", "NAM", "ZAF", "ZWE", "RHO", "ZMB", "MOZ", "AGO", "MWI")
_GULF = ("BHR", "IRN", "IRQ", "KWT", "OMN", "QAT", "SAU", "ARE")
_MIDDLE_EAST = (*_GULF, "CYP", "EGY", "ISR", "JOR", "LBN", "PSE", "SYR", "TUR", "YEM", "YMD")
_ARAB = (
    "DZA",
    "BHR",
    "COM",
    "DJI",
    "EGY",
    "IRQ",
    "JOR",
    "KWT",
    "LBN",
    "LBY",
    "MRT",
    "MAR",
    "OMN",
    "PSE",
    "QAT",
    "SAU",
    "SOM",
    "SDN",
    "SYR",
    "TUN",
    "ARE",
    "YEM",
    "YMD",
)
_SOUTH_AMERICA = (
    "ARG",
    "BOL",
    "BRA",
    "CHL",
    "COL",
    "ECU",
    "GUY",
    "PRY",
    "PER",
    "SUR",
    "URY",
    "VEN",
    "FLK",
)
_CENTRAL_AMERICA = ("BLZ", "CRI", "SLV", "GTM", "HND", "NIC", "PAN")
_CARIBBEAN = (
    "ATG",
    "BHS",
    "BRB",
    "CUB",
    "DMA",
    "DOM",
    "GRD",
    "HTI",
    "JAM",
    "KNA",
    "LCA",
    "VCT",
    "TTO",
    "PRI",
)
_SOUTHEAST_ASIA = (
    "BRN",
    "KHM",
    "IDN",
    "LAO",
    "MYS",
    "MMR",
    "PHL",
    "SGP",
    "THA",
    "TLS",
    "VNM",
    "VDR",
)
_BALKANS = ("ALB", "BIH", "BGR", "HRV", "GRC", "MKD", "MNE", "ROU", "SRB", "SVN", "YUG", "SCG")
_MEDITERRANEAN = (
    "ALB",
    "DZA",
    "BIH",
    "HRV",
    "CYP",
    "EGY",
    "FRA",
    "GRC",
    "ISR",
    "ITA",
    "LBN",
    "LBY",
    "MLT",
    "MCO",
    "MNE",
    "MAR",
    "SVN",
    "ESP",
    "SYR",
    "TUN",
    "TUR",
    "PSE",
    "YUG",
)

# The words people type → the region's countries. Names of one word (Gulf, Arab, Balkan) are
# read only capitalised: "a widening gulf" is no region.
REGIONS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ["Africa", "African"],
        (*_NORTH_AFRICA, *_WEST_AFRICA, *_EAST_AFRICA, *_CENTRAL_AFRICA, *_SOUTHERN_AFRICA),
    ),
    **dict.fromkeys(["North Africa", "North African", "Maghreb"], _NORTH_AFRICA),
    **dict.fromkeys(["West Africa", "West African", "Western Africa"], _WEST_AFRICA),
    **dict.fromkeys(["East Africa", "East African", "Eastern Africa"], _EAST_AFRICA),
    **dict.fromkeys(["Central Africa", "Central African"], _CENTRAL_AFRICA),
    **dict.fromkeys(["Southern Africa", "southern African"], _SOUTHERN_AFRICA),
    "Horn of Africa": ("DJI", "ERI", "ETH", "SOM"),
    **dict.fromkeys(["Gulf", "Persian Gulf", "Arabian Gulf", "Arabian Peninsula"], _GULF),
    **dict.fromkeys(["Middle East", "Middle Eastern", "Near East", "Mideast"], _MIDDLE_EAST),
    **dict.fromkeys(["Levant", "Levantine"], ("ISR", "JOR", "LBN", "PSE", "SYR")),
    **dict.fromkeys(["Arab", "Arab world"], _ARAB),
    **dict.fromkeys(["South America", "South American"], _SOUTH_AMERICA),
    **dict.fromkeys(["Central America", "Central American"], _CENTRAL_AMERICA),
    **dict.fromkeys(
        ["Latin America", "Latin American"],
        (*_SOUTH_AMERICA, *_CENTRAL_AMERICA, "MEX", "CUB", "DOM", "HTI"),
    ),
    "Caribbean": _CARIBBEAN,
    **dict.fromkeys(
        [
            "Southeast Asia",
            "Southeast Asian",
            "South-East Asia",
            "South-East Asian",
            "South East Asia",
            "South East Asian",
        ],
        _SOUTHEAST_ASIA,
    ),
    **dict.fromkeys(["Indochina", "Indochinese"], ("KHM", "LAO", "VNM", "VDR")),
    **dict.fromkeys(
        ["South Asia", "South Asian", "Indian subcontinent"],
        ("AFG", "BGD", "BTN", "IND", "MDV", "NPL", "PAK", "LKA"),
    ),
    **dict.fromkeys(["Central Asia", "Central Asian"], ("KAZ", "KGZ", "TJK", "TKM", "UZB")),
    **dict.fromkeys(
        ["East Asia", "East Asian", "Far East"],
        ("CHN", "JPN", "KOR", "PRK", "MNG", "TWN", "HKG", "MAC"),
    ),
    **dict.fromkeys(["Caucasus", "South Caucasus", "Transcaucasia"], ("ARM", "AZE", "GEO")),
    **dict.fromkeys(["Balkan", "Balkans"], _BALKANS),
    "Adriatic": ("ITA", "SVN", "HRV", "BIH", "MNE", "ALB", "YUG"),
    "Mediterranean": _MEDITERRANEAN,
    "eastern Mediterranean": ("CYP", "LBN", "ISR", "SYR", "EGY", "TUR", "GRC", "PSE"),
    **dict.fromkeys(["Baltic", "Baltic states"], ("EST", "LVA", "LTU")),
    **dict.fromkeys(["Scandinavia", "Scandinavian", "Nordic"], ("DNK", "NOR", "SWE", "FIN", "ISL")),
    **dict.fromkeys(
        ["Eastern Europe", "Eastern European", "Eastern bloc"],
        ("BGR", "CSK", "CZE", "SVK", "DDR", "HUN", "POL", "ROU", "SUN", "RUS", "UKR", "BLR", "MDA"),
    ),
    "Iberian": ("ESP", "PRT"),
    **dict.fromkeys(["Melanesia", "Melanesian"], ("FJI", "PNG", "SLB", "VUT", "NCL")),
    **dict.fromkeys(
        ["Polynesia", "Polynesian"],
        ("ASM", "COK", "PYF", "NIU", "PCN", "WSM", "TKL", "TON", "TUV", "WLF"),
    ),
}


def held(codes: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Each region's name → the countries of it that `codes` (an index's) hold; regions of
    none left out."""
    return {
        name: kept
        for name, members in REGIONS.items()
        if (kept := tuple(dict.fromkeys(c for c in members if c in codes)))
    }
