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

# Each region: the names people type for it, then its countries (ISO 3166 alpha-3, and the
# codes of the Council's years: RHO Southern Rhodesia, YUG, SCG, SUN, CSK, DDR, YMD, VDR).
# Names of one word (Gulf, Arab, Balkan) are read only capitalised: "a widening gulf" is no
# region.
_TABLE = """
Africa, African: DZA EGY LBY MAR SDN TUN ESH BEN BFA CPV CIV GMB GHA GIN GNB LBR MLI MRT NER
    NGA SEN SLE TGO BDI COM DJI ERI ETH KEN MDG MWI MUS MOZ RWA SYC SOM SSD TZA UGA ZMB ZWE RHO
    AGO CMR CAF TCD COG COD GNQ GAB STP BWA SWZ LSO NAM ZAF
North Africa, North African, Maghreb: DZA EGY LBY MAR SDN TUN ESH
West Africa, West African, Western Africa: BEN BFA CPV CIV GMB GHA GIN GNB LBR MLI MRT NER NGA
    SEN SLE TGO
East Africa, East African, Eastern Africa: BDI COM DJI ERI ETH KEN MDG MWI MUS MOZ RWA SYC SOM
    SSD TZA UGA ZMB ZWE RHO
Central Africa, Central African: AGO CMR CAF TCD COG COD GNQ GAB STP RWA BDI
Southern Africa, southern African: BWA SWZ LSO NAM ZAF ZWE RHO ZMB MOZ AGO MWI
Horn of Africa: DJI ERI ETH SOM
Gulf, Persian Gulf, Arabian Gulf, Arabian Peninsula: BHR IRN IRQ KWT OMN QAT SAU ARE
Middle East, Middle Eastern, Near East, Mideast: BHR IRN IRQ KWT OMN QAT SAU ARE CYP EGY ISR
    JOR LBN PSE SYR TUR YEM YMD
Levant, Levantine: ISR JOR LBN PSE SYR
Arab, Arab world: DZA BHR COM DJI EGY IRQ JOR KWT LBN LBY MRT MAR OMN PSE QAT SAU SOM SDN SYR
    TUN ARE YEM YMD
South America, South American: ARG BOL BRA CHL COL ECU GUY PRY PER SUR URY VEN FLK
Central America, Central American: BLZ CRI SLV GTM HND NIC PAN
Latin America, Latin American: ARG BOL BRA CHL COL ECU GUY PRY PER SUR URY VEN FLK BLZ CRI SLV
    GTM HND NIC PAN MEX CUB DOM HTI
Caribbean: ATG BHS BRB CUB DMA DOM GRD HTI JAM KNA LCA VCT TTO PRI
Southeast Asia, Southeast Asian, South-East Asia, South-East Asian, South East Asia,
    South East Asian: BRN KHM IDN LAO MYS MMR PHL SGP THA TLS VNM VDR
Indochina, Indochinese: KHM LAO VNM VDR
South Asia, South Asian, Indian subcontinent: AFG BGD BTN IND MDV NPL PAK LKA
Central Asia, Central Asian: KAZ KGZ TJK TKM UZB
East Asia, East Asian, Far East: CHN JPN KOR PRK MNG TWN HKG MAC
Caucasus, South Caucasus, Transcaucasia: ARM AZE GEO
Balkan, Balkans: ALB BIH BGR HRV GRC MKD MNE ROU SRB SVN YUG SCG
Adriatic: ITA SVN HRV BIH MNE ALB YUG
Mediterranean: ALB DZA BIH HRV CYP EGY FRA GRC ISR ITA LBN LBY MLT MCO MNE MAR SVN ESP SYR TUN
    TUR PSE YUG
eastern Mediterranean: CYP LBN ISR SYR EGY TUR GRC PSE
Baltic, Baltic states: EST LVA LTU
Scandinavia, Scandinavian, Nordic: DNK NOR SWE FIN ISL
Eastern Europe, Eastern European, Eastern bloc: BGR CSK CZE SVK DDR HUN POL ROU SUN RUS UKR BLR
    MDA
Iberian: ESP PRT
Melanesia, Melanesian: FJI PNG SLB VUT NCL
Polynesia, Polynesian: ASM COK PYF NIU PCN WSM TKL TON TUV WLF
"""


def _regions(table: str) -> dict[str, tuple[str, ...]]:
    regions = {}
    for row in table.replace("\n    ", " ").strip().splitlines():
        names, codes = row.split(": ")
        for name in names.split(", "):
            regions[name] = tuple(codes.split())
    return regions


# The words people type → the region's countries.
REGIONS: dict[str, tuple[str, ...]] = _regions(_TABLE)


def held(codes: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Each region's name → the countries of it that `codes` (an index's) hold; regions of
    none left out."""
    return {
        name: kept
        for name, members in REGIONS.items()
        if (kept := tuple(dict.fromkeys(c for c in members if c in codes)))
    }
