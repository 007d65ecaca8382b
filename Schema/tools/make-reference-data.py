#!/usr/bin/env python3
"""Generate Schema/0001-reference-data.sql (countries, subdivisions, languages).

Sources, all offline:
  * Debian iso-codes JSON in /usr/share/iso-codes/json/ (ISO 3166-1, 3166-2, 639-2, 639-3)
  * PyPI country_converter: its UNregion column (M49 sub-region or intermediate region)
  * PyPI phonenumbers: E.164 country calling codes

Usage:  pip install country_converter phonenumbers
        python3 Schema/tools/make-reference-data.py   # writes Schema/0001-reference-data.sql
"""
import csv
import json
import os
import sys
from pathlib import Path

import country_converter
import phonenumbers

ISO = Path("/usr/share/iso-codes/json")
OUT = Path(__file__).resolve().parent.parent / "0001-reference-data.sql"
ROWS_PER_INSERT = 200

# UN M49 sub-region -> region, and M49 intermediate region -> sub-region.
M49_REGION = {
    "Northern Africa": "Africa", "Sub-Saharan Africa": "Africa",
    "Latin America and the Caribbean": "Americas", "Northern America": "Americas",
    "Central Asia": "Asia", "Eastern Asia": "Asia", "South-eastern Asia": "Asia",
    "Southern Asia": "Asia", "Western Asia": "Asia",
    "Eastern Europe": "Europe", "Northern Europe": "Europe",
    "Southern Europe": "Europe", "Western Europe": "Europe",
    "Australia and New Zealand": "Oceania", "Melanesia": "Oceania",
    "Micronesia": "Oceania", "Polynesia": "Oceania",
}
M49_INTERMEDIATE = {
    "Eastern Africa": "Sub-Saharan Africa", "Middle Africa": "Sub-Saharan Africa",
    "Southern Africa": "Sub-Saharan Africa", "Western Africa": "Sub-Saharan Africa",
    "Caribbean": "Latin America and the Caribbean",
    "Central America": "Latin America and the Caribbean",
    "South America": "Latin America and the Caribbean",
    "Channel Islands": "Northern Europe",
}
NO_M49_REGION = {"Antarctica"}  # M49 places Antarctica (AQ) in no region

SCHEMA = """\
-- ISO 3166-1 countries, the directory's top-level key.
CREATE TABLE country (
  code TEXT PRIMARY KEY NOT NULL CHECK (length(code) = 2 AND code = upper(code)),  -- alpha-2
  alpha3 TEXT NOT NULL UNIQUE CHECK (length(alpha3) = 3 AND alpha3 = upper(alpha3)),
  numeric TEXT NOT NULL UNIQUE CHECK (numeric GLOB '[0-9][0-9][0-9]'),  -- zero padded, e.g. '008'
  name TEXT NOT NULL,                    -- English short name (iso-codes common_name, else name)
  official_name TEXT,                    -- iso-codes official_name, NULL if none
  un_region TEXT CHECK (un_region IN ('Africa', 'Americas', 'Asia', 'Europe', 'Oceania')),
                                         -- UN M49 region; NULL where M49 has none (Antarctica)
  un_subregion TEXT,                     -- UN M49 sub-region, e.g. 'Eastern Europe'; NULL where none
  calling_code TEXT CHECK (calling_code GLOB '[1-9]*' AND calling_code NOT GLOB '*[^0-9]*'),
                                         -- E.164 country calling code, digits only; NULL if none
  untoc_status TEXT,                     -- party status to UNTOC; NULL until filled in
  trafficking_protocol_status TEXT,      -- NULL until filled in
  smuggling_protocol_status TEXT,        -- NULL until filled in
  CHECK ((un_region IS NULL) = (un_subregion IS NULL))
) STRICT;

-- ISO 3166-2 subdivisions, for validating agency locations.
CREATE TABLE subdivision (
  code TEXT PRIMARY KEY NOT NULL CHECK (substr(code, 3, 1) = '-'),  -- e.g. 'MD-CU'
  country TEXT NOT NULL REFERENCES country(code) CHECK (country = substr(code, 1, 2)),
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  parent TEXT                            -- parent subdivision code ('FR-ARA'), NULL if none
) STRICT;
CREATE INDEX subdivision_country ON subdivision(country);
CREATE INDEX subdivision_parent ON subdivision(parent);

-- ISO 639 language codes, for validating the primary subtag of BCP 47 language tags.
CREATE TABLE language (
  code TEXT PRIMARY KEY NOT NULL CHECK (length(code) IN (2, 3) AND code = lower(code)),
                                         -- ISO 639-1, ISO 639-2 (B and T) and ISO 639-3 codes
  name TEXT NOT NULL                     -- English name
) STRICT;
"""


def load(name, key):
    with open(ISO / name, encoding="utf-8") as f:
        return json.load(f)[key]


def m49_by_alpha3():
    """alpha-3 -> (region, sub-region) from country_converter's UNregion column.

    Read straight from the package's TSV: its ISO2 column holds regexes for a
    few entries (GB, GR), and its pandas loader breaks with pandas 3.
    """
    tsv = Path(country_converter.__file__).parent / "country_data.tsv"
    out = {}
    with open(tsv, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            unregion = row["UNregion"]
            if unregion in NO_M49_REGION:
                out[row["ISO3"]] = (None, None)
            elif unregion:
                sub = M49_INTERMEDIATE.get(unregion, unregion)
                out[row["ISO3"]] = (M49_REGION[sub], sub)
    return out


def sql(value):
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


def inserts(table, columns, rows):
    rows = sorted(rows)
    parts = []
    for i in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[i:i + ROWS_PER_INSERT]
        values = ",\n".join("(" + ", ".join(map(sql, r)) + ")" for r in chunk)
        parts.append(f"INSERT INTO {table} ({', '.join(columns)}) VALUES\n{values};\n")
    return "".join(parts)


def main():
    m49 = m49_by_alpha3()
    countries = []
    for c in load("iso_3166-1.json", "3166-1"):
        if c["alpha_3"] not in m49:
            sys.exit(f"no M49 data for {c['alpha_2']} in country_converter")
        region, subregion = m49[c["alpha_3"]]
        calling = phonenumbers.country_code_for_region(c["alpha_2"])
        countries.append((c["alpha_2"], c["alpha_3"], c["numeric"], c.get("common_name", c["name"]),
                          c.get("official_name"), region, subregion,
                          str(calling) if calling else None))
    assert len(countries) == 249, len(countries)
    country_codes = {c[0] for c in countries}

    subdivisions = []
    for s in load("iso_3166-2.json", "3166-2"):
        country = s["code"][:2]
        parent = s.get("parent")
        if parent and "-" not in parent:  # iso-codes gives e.g. 'ARA' for 'FR-ARA'
            parent = f"{country}-{parent}"
        subdivisions.append((s["code"], country, s["name"], s["type"], parent))
    sub_codes = {s[0] for s in subdivisions}
    assert len(sub_codes) == len(subdivisions), "duplicate subdivision code"
    for code, country, _, _, parent in subdivisions:
        assert country in country_codes, code
        assert parent is None or parent in sub_codes, (code, parent)

    languages = {}
    entries = load("iso_639-2.json", "639-2") + load("iso_639-3.json", "639-3")
    for lang in entries:
        for key in ("alpha_2", "alpha_3", "bibliographic"):
            code = lang.get(key)
            if code and "-" not in code:  # skip ranges such as 'qaa-qtz'
                languages.setdefault(code, lang["name"])

    OUT.write_text(
        "-- Reference data: ISO 3166-1 countries (with UN M49 region and sub-region and\n"
        "-- E.164 calling code), ISO 3166-2 subdivisions and ISO 639 language codes.\n"
        "--\n"
        "-- GENERATED by Schema/tools/make-reference-data.py -- do not edit by hand.\n"
        "-- Sources: Debian iso-codes JSON (iso_3166-1, iso_3166-2, iso_639-2, iso_639-3),\n"
        f"-- PyPI country_converter {country_converter.__version__} (UNregion -> M49),\n"
        f"-- PyPI phonenumbers {phonenumbers.__version__} (country calling codes).\n\n"
        + SCHEMA + "\n"
        + inserts("country", ["code", "alpha3", "numeric", "name", "official_name",
                              "un_region", "un_subregion", "calling_code"], countries) + "\n"
        + inserts("subdivision", ["code", "country", "name", "type", "parent"],
                  subdivisions) + "\n"
        + inserts("language", ["code", "name"], languages.items()),
        encoding="utf-8")
    print(f"wrote {os.path.relpath(OUT)}: {len(countries)} countries, "
          f"{len(subdivisions)} subdivisions, {len(languages)} languages")


if __name__ == "__main__":
    main()
