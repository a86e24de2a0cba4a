"""A varied synthetic set of organisation records across three systems, with truth.

Built from general knowledge of how firms' systems disagree, not from any one export:
trading vs legal names, legal forms per jurisdiction, abbreviations and typos, VAT numbers
with and without prefix (and some mistyped), LEIs, addresses written differently, group
websites shared by sister companies, free-mail contacts, stale cross-references, and
unrelated companies that share a generic name in different cities.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

from stdnum import lei as lei_mod
from stdnum.util import get_cc_module

COUNTRIES = {
    # cc: (legal forms, cities with postcode makers, calling code, tld, street pattern)
    "GB": (
        ["Ltd", "Limited", "PLC", "LLP"],
        ["London", "Manchester", "Leeds", "Bristol"],
        "44",
        "co.uk",
    ),
    "DE": (["GmbH", "AG", "GmbH & Co. KG"], ["Berlin", "München", "Hamburg", "Köln"], "49", "de"),
    "FR": (["SAS", "S.A.", "SARL"], ["Paris", "Lyon", "Marseille", "Lille"], "33", "fr"),
    "NL": (["B.V.", "N.V."], ["Amsterdam", "Rotterdam", "Utrecht"], "31", "nl"),
    "US": (
        ["Inc.", "LLC", "Corp.", "Corporation"],
        ["New York", "Chicago", "Austin", "Boston"],
        "1",
        "com",
    ),
    "JP": (["KK", "Kabushiki Kaisha", "Co., Ltd."], ["Tokyo", "Osaka"], "81", "co.jp"),
    "AU": (["Pty Ltd", "Pty. Limited"], ["Sydney", "Melbourne"], "61", "com.au"),
    "ES": (["S.L.", "S.A."], ["Madrid", "Barcelona"], "34", "es"),
    "IT": (["S.r.l.", "S.p.A."], ["Milano", "Roma"], "39", "it"),
    "SE": (["AB"], ["Stockholm", "Göteborg"], "46", "se"),
    "DK": (["A/S", "ApS"], ["København", "Aarhus"], "45", "dk"),
    "PL": (["Sp. z o.o.", "S.A."], ["Warszawa", "Kraków"], "48", "pl"),
    "SG": (["Pte Ltd", "Pte. Ltd."], ["Singapore"], "65", "com.sg"),
    "CH": (["AG", "GmbH", "SA"], ["Zürich", "Genève"], "41", "ch"),
}
STREETS = {
    "GB": ["{n} {s} Street", "{n} {s} Road", "{n} {s} Lane"],
    "US": ["{n} {s} Avenue", "{n} {s} Street"],
    "AU": ["{n} {s} Street", "{n} {s} Road"],
    "SG": ["{n} {s} Road"],
    "JP": ["{n}-{m} {s}"],
    "DE": ["{s}straße {n}", "{s}weg {n}"],
    "CH": ["{s}strasse {n}"],
    "NL": ["{s}straat {n}"],
    "FR": ["{n} rue {s}", "{n} avenue {s}"],
    "ES": ["Calle {s} {n}"],
    "IT": ["Via {s} {n}"],
    "SE": ["{s}gatan {n}"],
    "DK": ["{s}vej {n}"],
    "PL": ["ul. {s} {n}"],
}
WORDS = [
    "Arden",
    "Bellway",
    "Corvid",
    "Dunmore",
    "Elgin",
    "Fairlight",
    "Garrow",
    "Halden",
    "Ivel",
    "Juniper",
    "Kestrel",
    "Larkspur",
    "Meridian",
    "Northgate",
    "Oakridge",
    "Pemberton",
    "Quayside",
    "Redfern",
    "Silverline",
    "Thornbury",
    "Umber",
    "Vantage",
    "Westbrook",
    "Yarrow",
    "Zenith",
    "Ashcombe",
    "Brightwater",
    "Calder",
    "Delphi",
    "Everly",
    "Foxglove",
    "Granite",
    "Harrow",
    "Iona",
    "Jasper",
    "Kingfisher",
    "Lumen",
    "Marlow",
    "Nimbus",
    "Orchard",
    "Pinnacle",
    "Quill",
    "Rowan",
    "Sable",
    "Tamar",
    "Ulster",
    "Verity",
    "Wexford",
    "Alder",
    "Birch",
    "Cedar",
    "Hawthorn",
    "Müller",
    "Løvstad",
    "Ó Briain",
    "Søndergaard",
    "Zieliński",
    "Dubois",
    "Rossi",
    "García",
]
SUFFIXES = [
    "Consulting",
    "Holdings",
    "Technologies",
    "Engineering",
    "Logistics",
    "Partners",
    "Analytics",
    "Systems",
    "Industries",
    "Media",
    "Foods",
    "Energy",
    "",
    "",
    "",
]
ABBREV = {
    "Technologies": "Tech",
    "Holdings": "Hldgs",
    "International": "Intl",
    "Engineering": "Eng",
    "Systems": "Sys",
    "Industries": "Inds",
}


@dataclass
class Entity:
    entity_id: str
    country: str
    name: str  # distinctive part, e.g. "Kestrel Analytics"
    form: str
    city: str
    street: str
    postcode: str
    tax_id: str | None
    lei: str | None
    phone: str | None
    domain: str
    records: list[dict] = field(default_factory=list)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def valid_tax_id(rng: random.Random, cc: str) -> str | None:
    """A checksum-valid VAT number for `cc` (found by trial), with its country prefix."""
    module = get_cc_module(cc.lower(), "ein" if cc == "US" else "vat")
    lengths = {
        "US": 9,
        "GB": 9,
        "DE": 9,
        "FR": 11,
        "NL": 12,
        "ES": 9,
        "IT": 11,
        "SE": 12,
        "DK": 8,
        "PL": 10,
        "AU": 11,
        "CH": 9,
        "SG": 10,
        "JP": 13,
    }
    for _ in range(20000):
        body = _digits(rng, lengths[cc])
        if cc == "NL":
            body = body[:9] + "B" + body[10:]
        if cc == "ES":
            body = "B" + body[1:]
        if cc == "SE":
            body = body[:10] + "01"
        if cc == "SG":
            body = body[:9] + rng.choice(string.ascii_uppercase)
        prefix = {"CH": "CHE", "AU": "", "SG": "", "JP": "", "US": ""}.get(cc, cc)
        candidate = prefix + body
        if module.is_valid(candidate):
            return module.compact(candidate) if cc in ("AU", "SG", "JP", "US") else candidate
    return None


def valid_lei(rng: random.Random) -> str:
    base = "".join(rng.choice(string.digits + string.ascii_uppercase) for _ in range(18))
    return (
        base + lei_mod.calc_check_digits(base)
        if hasattr(lei_mod, "calc_check_digits")
        else (base + f"{98 - int(''.join(str(int(c, 36)) for c in base + '00')) % 97:02d}")
    )


def postcode(rng: random.Random, cc: str) -> str:
    if cc == "GB":
        return f"{rng.choice(['EC', 'SW', 'M', 'LS', 'BS'])}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}"
    if cc == "NL":
        return f"{rng.randint(1000, 9999)} {rng.choice('ABCDEFGH')}{rng.choice('JKLMNPRS')}"
    if cc == "US":
        return f"{rng.randint(10000, 99999)}"
    if cc in ("AU", "CH", "DK"):
        return str(rng.randint(1000, 9999))
    if cc == "JP":
        return f"{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
    if cc == "PL":
        return f"{rng.randint(10, 99)}-{rng.randint(100, 999)}"
    if cc == "SG":
        return str(rng.randint(100000, 999999))
    if cc == "SE":
        return f"{rng.randint(100, 999)} {rng.randint(10, 99)}"
    return str(rng.randint(10000, 99999))


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 5:
        return s
    i = rng.randrange(1, len(s) - 1)
    op = rng.choice(["swap", "drop", "double"])
    if op == "swap":
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    if op == "drop":
        return s[:i] + s[i + 1 :]
    return s[:i] + s[i] + s[i:]


def _new_entity(rng: random.Random, eid: str, cc: str, name: str) -> Entity:
    forms, cities, calling, tld = COUNTRIES[cc]
    street = rng.choice(STREETS[cc]).format(
        n=rng.randint(1, 250), m=rng.randint(1, 30), s=rng.choice(WORDS)
    )
    slug = "".join(ch for ch in name.split()[0].lower() if ch.isascii() and ch.isalpha())
    return Entity(
        entity_id=eid,
        country=cc,
        name=name,
        form=rng.choice(forms),
        city=rng.choice(cities),
        street=street,
        postcode=postcode(rng, cc),
        tax_id=valid_tax_id(rng, cc) if rng.random() < 0.75 else None,
        lei=valid_lei(rng) if rng.random() < 0.25 else None,
        phone=f"+{calling}{rng.randint(2, 9)}{_digits(rng, 8)}" if rng.random() < 0.7 else None,
        domain=f"{slug}{rng.choice(['', '-group', 'hq'])}.{tld}",
    )


def _trading_name(rng: random.Random, e: Entity) -> str:
    name = e.name
    if rng.random() < 0.3:
        name = " ".join(ABBREV.get(w, w) for w in name.split())
    if rng.random() < 0.4:
        name = f"{name} {e.form}"
    if rng.random() < 0.2:
        name = name.upper()
    if rng.random() < 0.1:
        name = "The " + name
    if rng.random() < 0.12:
        name = _typo(rng, name)
    return name


def _address(rng: random.Random, e: Entity) -> tuple[str, str | None]:
    street = e.street
    swaps = [
        ("Street", "St"),
        ("Road", "Rd"),
        ("Avenue", "Ave."),
        ("straße", "str."),
        ("strasse", "str."),
        ("Lane", "Ln"),
    ]
    for long, short in swaps:
        if long in street and rng.random() < 0.5:
            street = street.replace(long, short)
    line2 = None
    if rng.random() < 0.3:
        line2 = rng.choice(["Suite 200", "Floor 3", "3rd Floor", "Unit 4", "Level 12"])
    if rng.random() < 0.1:
        street = _typo(rng, street)
    return street, line2


def _record(rng: random.Random, e: Entity, system: str, sid: str) -> dict:
    street, line2 = _address(rng, e)
    pc = e.postcode.replace(" ", "") if rng.random() < 0.3 else e.postcode
    rec = {
        "unique_id": f"{system}|{sid}",
        "system": system,
        "source_id": sid,
        "name": _trading_name(rng, e),
        "legal_name": None,
        "tax_id": None,
        "lei": None,
        "registration_number": None,
        "address_line1": street,
        "address_line2": line2,
        "city": e.city if rng.random() < 0.8 else e.city.upper(),
        "region": None,
        "postcode": pc.lower() if rng.random() < 0.2 else pc,
        "country": e.country if rng.random() < 0.95 else None,
        "phone": e.phone if rng.random() < 0.8 else None,
        "website": None,
        "email": None,
        "crm_ref": None,
        "erp_ref": None,
        "parent_ref": None,
    }
    if system == "crm":
        rec["website"] = ("https://www." + e.domain) if rng.random() < 0.7 else None
        rec["tax_id"] = e.tax_id if rng.random() < 0.3 else None
    elif system == "erp":
        rec["legal_name"] = f"{e.name} {e.form}"
        rec["name"] = rec["name"] if rng.random() < 0.5 else None
        tax = e.tax_id if rng.random() < 0.85 else None
        if tax and rng.random() < 0.3 and tax[:2].isalpha():
            tax = tax[2:]  # prefix dropped by the clerk
        if tax and rng.random() < 0.05:
            tax = tax[:-1] + str((int(tax[-1]) + 1) % 10) if tax[-1].isdigit() else tax
        rec["tax_id"] = tax
        rec["lei"] = e.lei
        rec["email"] = (
            f"accounts@{e.domain}"
            if rng.random() < 0.7
            else f"{e.name.split()[0].lower()}.ap@gmail.com"
        )
    else:  # psa: thin records, website only sometimes
        rec["website"] = e.domain if rng.random() < 0.5 else None
        rec["address_line1"] = street if rng.random() < 0.6 else None
    return rec


def generate(
    seed: int = 7, n_entities: int = 140
) -> tuple[list[dict], dict[str, str], list[tuple[str, str]]]:
    """Records, truth (unique_id -> entity id) and the planted sister-company entity pairs."""
    rng = random.Random(seed)
    entities: list[Entity] = []
    sisters: list[tuple[str, str]] = []
    used: set[str] = set()
    while len(entities) < n_entities:
        name = f"{rng.choice(WORDS)} {rng.choice(SUFFIXES)}".strip()
        if name in used:
            continue
        used.add(name)
        cc = rng.choice(list(COUNTRIES))
        e = _new_entity(rng, f"E{len(entities):04d}", cc, name)
        entities.append(e)
        if rng.random() < 0.2:  # a sister company: same name, other country & form
            other = rng.choice([c for c in COUNTRIES if c != cc])
            s = _new_entity(rng, f"E{len(entities):04d}", other, name)
            s.domain = e.domain if rng.random() < 0.5 else s.domain  # group website
            entities.append(s)
            sisters.append((e.entity_id, s.entity_id))
    for generic in ("Global Solutions", "Premier Services"):  # same name, unrelated firms
        for city in ("London", "Leeds"):
            e = _new_entity(rng, f"E{len(entities):04d}", "GB", generic)
            e.city, e.lei = city, None
            entities.append(e)
    records: list[dict] = []
    truth: dict[str, str] = {}
    for i, e in enumerate(entities):
        systems = [
            s
            for s in ("crm", "erp", "psa")
            if rng.random() < {"crm": 0.85, "erp": 0.75, "psa": 0.5}[s]
        ]
        for system in systems or ["crm"]:
            records.append(_record(rng, e, system, f"{system[0].upper()}{i:05d}"))
        if "crm" in systems and rng.random() < 0.15:  # a duplicate inside the CRM
            records.append(_record(rng, e, "crm", f"C{i:05d}D"))
        by_system = {r["system"]: r for r in records[-4:] if truth.get(r["unique_id"]) is None}
        for r in records[-4:]:
            truth.setdefault(r["unique_id"], e.entity_id)
        if "erp" in by_system and "crm" in by_system and rng.random() < 0.6:
            by_system["erp"]["crm_ref"] = by_system["crm"]["source_id"]
        elif "erp" in by_system and rng.random() < 0.1:
            by_system["erp"]["crm_ref"] = f"C{rng.randint(90000, 99999)}"  # stale
    truth = {r["unique_id"]: truth[r["unique_id"]] for r in records}
    return records, truth, sisters
