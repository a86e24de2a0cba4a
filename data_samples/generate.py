"""Generate the sample extracts of a fictional professional-services firm, with ground truth.

    python data_samples/generate.py [--seed 42] [--customers 3000] [--out data_samples]

The firm runs Salesforce (crm), Kantata (psa) and NetSuite (erp), and has acquired an APAC
business whose ERP (apac_erp) has its own conventions. Each file is written in its product's
native export shape. The same real customers appear across systems under other ids, names
and addresses; `truth.csv` says which records are the same entity and `truth_sisters.csv`
lists sister companies that must never be merged. Deterministic: one seed, one output.
Standard library plus python-stdnum (for valid tax ids and LEIs).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from stdnum.iso7064 import mod_97_10
from stdnum.util import get_cc_module

BASE = datetime(2023, 1, 2, 9, 0, 0)

# country: (weight, display names used by sales reps, legal forms, phone prefix, cities)
COUNTRIES = {
    "GB": (
        22,
        ["United Kingdom", "UK", "England", "Great Britain"],
        ["Ltd", "Limited", "PLC"],
        "+44",
        [
            ("London", "EC# #@@", "20"),
            ("Manchester", "M# #@@", "161"),
            ("Leeds", "LS# #@@", "113"),
            ("Bristol", "BS# #@@", "117"),
        ],
    ),
    "US": (
        20,
        ["United States", "USA", "US", "United States of America"],
        ["Inc.", "LLC", "Corp.", "Corporation"],
        "+1",
        [
            ("New York", "100##", "212"),
            ("Chicago", "606##", "312"),
            ("Boston", "021##", "617"),
            ("Austin", "787##", "512"),
        ],
    ),
    "DE": (
        12,
        ["Germany", "Deutschland", "DE"],
        ["GmbH", "AG", "GmbH & Co. KG"],
        "+49",
        [("Berlin", "10###", "30"), ("München", "80###", "89"), ("Hamburg", "20###", "40")],
    ),
    "FR": (
        9,
        ["France", "FR"],
        ["SAS", "SARL", "S.A."],
        "+33",
        [("Paris", "750##", "1"), ("Lyon", "6900#", "4"), ("Toulouse", "310##", "5")],
    ),
    "NL": (
        6,
        ["Netherlands", "The Netherlands", "Holland", "Nederland"],
        ["B.V.", "N.V."],
        "+31",
        [("Amsterdam", "10## @@", "20"), ("Rotterdam", "30## @@", "10")],
    ),
    "IE": (
        4,
        ["Ireland", "Republic of Ireland", "IE"],
        ["Limited", "Ltd", "DAC"],
        "+353",
        [("Dublin", "D0# @###", "1"), ("Cork", "T12 @#@@", "21")],
    ),
    "ES": (
        4,
        ["Spain", "España", "ES"],
        ["S.L.", "S.A."],
        "+34",
        [("Madrid", "280##", "91"), ("Barcelona", "080##", "93")],
    ),
    "IT": (
        4,
        ["Italy", "Italia"],
        ["S.p.A.", "S.r.l."],
        "+39",
        [("Milano", "201##", "02"), ("Roma", "001##", "06")],
    ),
    "SE": (
        3,
        ["Sweden", "Sverige"],
        ["AB"],
        "+46",
        [("Stockholm", "11# ##", "8"), ("Göteborg", "41# ##", "31")],
    ),
    "CH": (
        3,
        ["Switzerland", "Schweiz", "Suisse"],
        ["AG", "GmbH", "SA"],
        "+41",
        [("Zürich", "80##", "44"), ("Genève", "12##", "22")],
    ),
    "CA": (
        3,
        ["Canada", "CA"],
        ["Inc.", "Ltd.", "Corp."],
        "+1",
        [("Toronto", "M#@ #@#", "416"), ("Vancouver", "V#@ #@#", "604")],
    ),
    "AU": (
        4,
        ["Australia", "AU"],
        ["Pty Ltd", "Pty. Limited", "Ltd"],
        "+61",
        [("Sydney", "20##", "2"), ("Melbourne", "30##", "3"), ("Brisbane", "40##", "7")],
    ),
    "SG": (3, ["Singapore", "SG"], ["Pte. Ltd.", "Pte Ltd"], "+65", [("Singapore", "0#####", "")]),
    "JP": (
        3,
        ["Japan", "JP"],
        ["K.K.", "Kabushiki Kaisha", "G.K."],
        "+81",
        [("Tokyo", "1##-####", "3"), ("Osaka", "53#-####", "6")],
    ),
}
APAC = {"AU", "SG", "JP"}
ALPHA3 = {
    "GB": "GBR",
    "US": "USA",
    "DE": "DEU",
    "FR": "FRA",
    "NL": "NLD",
    "IE": "IRL",
    "ES": "ESP",
    "IT": "ITA",
    "SE": "SWE",
    "CH": "CHE",
    "CA": "CAN",
    "AU": "AUS",
    "SG": "SGP",
    "JP": "JPN",
}
SYLLABLES = [
    "ar",
    "bel",
    "cor",
    "dan",
    "el",
    "fen",
    "gal",
    "hal",
    "is",
    "jor",
    "kel",
    "lum",
    "mar",
    "nor",
    "ol",
    "pra",
    "quin",
    "ros",
    "sal",
    "tor",
    "ul",
    "ver",
    "wes",
    "xan",
    "yor",
    "zen",
    "bra",
    "cre",
    "dro",
    "fla",
    "gri",
    "plo",
    "stra",
    "tri",
    "vel",
    "mon",
]
SURNAMES = [
    "Harper",
    "Whitfield",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Brennan",
    "Kowalski",
    "Tanaka",
    "Fischer",
    "Rossi",
    "García",
    "Van Dijk",
    "Murphy",
    "Schneider",
    "Dubois",
    "Bauer",
    "Nakamura",
    "Ashworth",
    "Pemberton",
    "Achterberg",
    "Castellano",
    "Keller",
    "Hargreaves",
    "Sørensen",
    "Lefèvre",
    "O'Neill",
    "Delacroix",
    "Weiß",
    "Andersson",
    "Abernathy",
    "Bianchi",
    "Carrington",
    "Drummond",
    "Eriksen",
    "Falconer",
    "Goldberg",
    "Holloway",
    "Ingram",
    "Jansen",
    "Kingsley",
    "Lombardi",
    "Mackenzie",
    "Novak",
    "Oyelaran",
    "Petrov",
    "Quigley",
    "Ramsay",
    "Santoro",
    "Thornton",
    "Umeh",
    "Vogel",
    "Wakefield",
    "Yamamoto",
    "Zimmermann",
    "Fairbairn",
    "Gallagher",
    "Henriksen",
    "Iwasaki",
    "Kavanagh",
    "Lindgren",
    "Montague",
    "Nordström",
    "Ortega",
    "Pryce",
]
PLACES = [
    "Northern",
    "Atlantic",
    "Pacific",
    "Alpine",
    "Thames",
    "Hudson",
    "Rhine",
    "Baltic",
    "Highland",
    "Coastal",
    "Metro",
    "Capital",
    "Summit",
    "Harbour",
    "Meridian",
    "Pennine",
]
WORDS = [
    "Consulting",
    "Logistics",
    "Engineering",
    "Software",
    "Analytics",
    "Holdings",
    "Foods",
    "Energy",
    "Pharma",
    "Capital",
    "Retail",
    "Media",
    "Industries",
    "Systems",
    "Technology",
    "Services",
    "Management",
    "International",
    "Partners",
    "Group",
    "Biotech",
    "Motors",
    "Construction",
    "Insurance",
    "Health",
    "Labs",
]
INDUSTRIES = [
    "Technology",
    "Financial Services",
    "Manufacturing",
    "Healthcare",
    "Retail",
    "Energy",
    "Media",
    "Transportation",
    "Public Sector",
    "Pharmaceuticals",
]
ABBREVIATIONS = {
    "International": "Intl",
    "Services": "Svcs",
    "Management": "Mgmt",
    "Technology": "Tech",
    "Engineering": "Eng.",
    "Holdings": "Hldgs",
    "Industries": "Inds",
    "Consulting": "Consult.",
    "Group": "Grp",
}
STREETS = [
    "High Street",
    "Station Road",
    "Main Street",
    "Church Lane",
    "Park Avenue",
    "Market Street",
    "King Street",
    "Mill Road",
    "Victoria Road",
    "Broadway",
]
OWNERS = [f"005{n:015d}" for n in range(1, 25)]
TERMS = ["Net 30", "Net 45", "Net 60", "Due on receipt"]
CURRENCY = {
    "GB": "GBP",
    "US": "USD",
    "CA": "CAD",
    "AU": "AUD",
    "SG": "SGD",
    "JP": "JPY",
    "CH": "CHF",
    "SE": "SEK",
}


@dataclass
class Entity:
    """One real customer: its true attributes, and which systems hold it."""

    key: str
    country: str
    legal_name: str
    trading_name: str
    stem: str
    tax_id: str | None
    lei: str | None
    city: str
    postcode: str
    street: str
    phone: str
    domain: str
    industry: str
    parent: str | None = None
    systems: set[str] = field(default_factory=set)
    ids: dict[str, list[str]] = field(default_factory=dict)


class Generator:
    """Builds entities and writes every extract; all randomness from one seeded RNG."""

    def __init__(self, seed: int, customers: int) -> None:
        self.rng = random.Random(seed)
        self.n = customers
        self.entities: list[Entity] = []
        self.sisters: list[tuple[str, str]] = []
        self.truth: list[tuple[str, str, str, str]] = []
        self.used_names: set[str] = set()
        self.counter = 0

    # --- identifiers ------------------------------------------------------------------

    def _id(self, prefix: str, width: int = 15) -> str:
        self.counter += 1
        body = f"{self.counter:0{width - 3 - len(prefix)}d}"
        return (
            prefix
            + "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(3))
            + body
        )

    def tax_id(self, country: str) -> str | None:
        module = get_cc_module(country.lower(), "vat") or get_cc_module(country.lower(), "tin")
        makers = {
            "GB": lambda: "GB" + self._digits(9),
            "DE": lambda: "DE" + self._digits(9),
            "NL": lambda: "NL" + self._digits(9) + "B01",
            "IE": lambda: "IE" + self._digits(7) + "W",
            "ES": lambda: "ESB" + self._digits(7) + self.rng.choice(string.digits),
            "IT": lambda: "IT" + self._digits(11),
            "SE": lambda: "SE" + self._digits(10) + "01",
            "CH": lambda: "CHE" + self._digits(9) + " MWST",
            "AU": lambda: self._digits(11),
            "US": lambda: f"{self.rng.choice(['12', '20', '46', '61', '84'])}-{self._digits(7)}",
            "CA": lambda: self._digits(9),
            "JP": lambda: self._digits(13),
        }
        if country == "FR":
            return self._french_vat()
        if country not in makers or module is None:
            return None
        for _ in range(20000):
            candidate = makers[country]()
            if module.is_valid(candidate):
                return module.format(candidate) if country in ("CH", "AU") else candidate
        return None

    def _french_vat(self) -> str:
        from stdnum import luhn

        base = self._digits(8)
        siren = base + luhn.calc_check_digit(base)
        key = (12 + 3 * (int(siren) % 97)) % 97
        return f"FR{key:02d}{siren}"

    def lei(self) -> str:
        base = "".join(self.rng.choice(string.ascii_uppercase + string.digits) for _ in range(18))
        return base + mod_97_10.calc_check_digits(base)

    def _digits(self, n: int) -> str:
        return str(self.rng.randrange(1, 10)) + "".join(
            self.rng.choice(string.digits) for _ in range(n - 1)
        )

    # --- entities -----------------------------------------------------------------------

    def stem(self) -> str:
        kind = self.rng.random()
        if kind < 0.35:
            word = "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.choice((2, 2, 3))))
            return word.capitalize()
        if kind < 0.65:
            return self.rng.choice(SURNAMES) + self.rng.choice(
                ["", " & " + self.rng.choice(SURNAMES), " " + self.rng.choice(WORDS)]
            )
        return f"{self.rng.choice(PLACES)} {self.rng.choice(WORDS)}"

    def new_entity(
        self, country: str, stem: str | None = None, like: Entity | None = None
    ) -> Entity:
        forms = COUNTRIES[country][2]
        for _ in range(50):
            stem = stem or self.stem()
            extra = self.rng.choice(WORDS) if self.rng.random() < 0.45 else ""
            if like is not None:  # a sister says which one it is: "Acme Labs", "Acme Ireland"
                taken = like.legal_name.split()
                extra = self.rng.choice([w for w in WORDS if w not in taken])
            legal = f"{stem} {extra} {self.rng.choice(forms)}".replace("  ", " ")
            if legal not in self.used_names:
                break
            stem = None
        self.used_names.add(legal)
        trading = stem if self.rng.random() < 0.6 and like is None else f"{stem} {extra}".strip()
        same_place = like is not None and like.country == country and self.rng.random() < 0.5
        city, postcode, area = (
            (like.city, like.postcode, None) if same_place else (None, None, None)
        )
        if city is None:
            city, template, area = self.rng.choice(COUNTRIES[country][4])
            postcode = "".join(
                self.rng.choice(string.digits)
                if ch == "#"
                else self.rng.choice(string.ascii_uppercase)
                if ch == "@"
                else ch
                for ch in template
            )
        else:
            area = next((a for c, _p, a in COUNTRIES[country][4] if c == city), "20")
        street = (
            like.street
            if like and self.rng.random() < 0.5 and like.country == country
            else f"{self.rng.randrange(1, 250)} {self.rng.choice(STREETS)}"
        )
        label = stem + (extra if like is not None else "")
        domain = "".join(ch for ch in label.lower() if ch.isalnum())[:22] + self.rng.choice(
            [".com", ".co", ".net", "-group.com", "." + country.lower()]
        )
        return Entity(
            key=f"E{len(self.entities) + 1:05d}",
            country=country,
            legal_name=legal,
            trading_name=trading,
            stem=stem,
            tax_id=self.tax_id(country) if self.rng.random() < 0.85 else None,
            lei=self.lei() if self.rng.random() < 0.3 else None,
            city=city,
            postcode=postcode,
            street=street,
            phone=self._phone(country, area),
            domain=domain,
            industry=self.rng.choice(INDUSTRIES),
        )

    def _phone(self, country: str, area: str | None) -> str:
        if country in ("US", "CA"):
            return f"({area}) 555-{self.rng.randrange(100, 9999):04d}"
        if country == "SG":
            return f"6{self._digits(7)}"
        return f"0{area}{' ' if self.rng.random() < 0.6 else ''}{self._digits(7)}"

    def build(self) -> None:
        weights = [v[0] for v in COUNTRIES.values()]
        while len(self.entities) < self.n:
            country = self.rng.choices(list(COUNTRIES), weights)[0]
            entity = self.new_entity(country)
            self.entities.append(entity)
            if self.rng.random() < 0.03 and len(self.entities) < self.n:
                self._sister(entity)
        for entity in self.entities:
            roll = self.rng.random()
            entity.systems = (
                {"crm"}
                if roll < 0.25
                else {"crm", "erp"}
                if roll < 0.55
                else {"crm", "erp", "psa"}
                if roll < 0.85
                else {"erp", "psa"}
                if roll < 0.92
                else {"crm", "psa"}
            )
            if entity.country in APAC and self.rng.random() < 0.6:
                entity.systems.add("apac_erp")
                if self.rng.random() < 0.5:
                    entity.systems.discard("erp")
        parents = [e for e in self.entities if e.country in ("GB", "US", "DE")]
        for a, b in (
            (self.entities[10], self.entities[11]),
            (self.entities[20], self.entities[21]),
        ):
            a.parent, b.parent = b.key, a.key  # planted hierarchy cycles (a data error)
        for entity in self.rng.sample(self.entities[30:], k=self.n // 12):
            parent = self.rng.choice(parents)
            if parent is not entity and parent.parent != entity.key:
                entity.parent = parent.key

    def _sister(self, first: Entity) -> None:
        """A sister company: same stem, other legal form or country, always another tax id."""
        country = first.country if self.rng.random() < 0.5 else self.rng.choice(list(COUNTRIES))
        sister = self.new_entity(country, stem=first.stem, like=first)
        self.entities.append(sister)
        self.sisters.append((first.key, sister.key))

    # --- variations ---------------------------------------------------------------------

    def vary_name(self, name: str, strength: float = 0.5) -> str:
        r = self.rng.random()
        if r < strength * 0.3 and len(name) > 5:
            i = self.rng.randrange(1, len(name) - 2)
            name = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        elif r < strength * 0.6:
            for full, short in ABBREVIATIONS.items():
                name = name.replace(full, short)
            name = name.replace(" & ", " and ") if self.rng.random() < 0.5 else name
        elif r < strength * 0.8:
            name = name.upper()
        elif r < strength:
            name = (
                name.replace("Limited", "Ltd")
                .replace("Incorporated", "Inc.")
                .replace("Pty. Limited", "Pty Ltd")
                .replace("Kabushiki Kaisha", "K.K.")
            )
        return name

    def country_text(self, code: str) -> str:
        return self.rng.choice(COUNTRIES[code][1])

    def stamp(self) -> datetime:
        return BASE + timedelta(days=self.rng.randrange(0, 650), minutes=self.rng.randrange(1440))

    def record(self, entity_type: str, system: str, source_id: str, entity_id: str) -> None:
        self.truth.append((entity_type, system, source_id, entity_id))


def _write_csv(
    path: Path,
    header: list[str],
    rows: list[list],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> None:
    with path.open("w", newline="", encoding=encoding, errors="replace") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    from extracts import write_all  # noqa: PLC0415 - sibling module, importable as a script

    gen = Generator(args.seed, args.customers)
    gen.build()
    write_all(gen, args.out)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
