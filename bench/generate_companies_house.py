"""Write a synthetic Companies House "Basic Company Data" file (a benchmark input, not test data).

The layout is the register's: the same 55 columns under the same header (leading spaces included),
every field double-quoted, dates as dd/mm/yyyy, SIC codes as "86900 - Other human health
activities", up to ten previous names. Rows average about 455 bytes, as the real file does
(about 2.5 GB for 5.5 million companies). Names are made up ("… BENCH 1234567 LIMITED") and no row
describes a real company. A few rows carry commas, doubled quotes and line breaks inside quoted
fields, as real addresses sometimes do.

    .venv/bin/python bench/generate_companies_house.py --rows 5500000 --zip \\
        bench/results/BasicCompanyDataAsOneFile-2026-11-01.zip

About 4 % of the rows have a registered office in the region of the default rules (LS, BD, WF, HD,
HX, HG and YO areas, and Craven's and Selby's sectors beyond them); about 1 % have a health-tech SIC
code. Deterministic for a given --seed.
"""

import argparse
import io
import random
import sys
import time
import zipfile
from pathlib import Path

PREVIOUS_NAMES = 10
# The header line as Companies House writes it, stray spaces included.
HEADER = (
    "CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1,"
    " RegAddress.AddressLine2,RegAddress.PostTown,RegAddress.County,RegAddress.Country,"
    "RegAddress.PostCode,CompanyCategory,CompanyStatus,CountryOfOrigin,DissolutionDate,"
    "IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,Accounts.NextDueDate,"
    "Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,Returns.LastMadeUpDate,"
    "Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,Mortgages.NumMortPartSatisfied,"
    "Mortgages.NumMortSatisfied,SICCode.SicText_1,SICCode.SicText_2,SICCode.SicText_3,"
    "SICCode.SicText_4,LimitedPartnerships.NumGenPartners,LimitedPartnerships.NumLimPartners,URI,"
    "PreviousName_1.CONDATE, PreviousName_1.CompanyName, PreviousName_2.CONDATE,"
    " PreviousName_2.CompanyName,PreviousName_3.CONDATE, PreviousName_3.CompanyName,"
    "PreviousName_4.CONDATE, PreviousName_4.CompanyName,PreviousName_5.CONDATE,"
    " PreviousName_5.CompanyName,PreviousName_6.CONDATE, PreviousName_6.CompanyName,"
    "PreviousName_7.CONDATE, PreviousName_7.CompanyName,PreviousName_8.CONDATE,"
    " PreviousName_8.CompanyName,PreviousName_9.CONDATE, PreviousName_9.CompanyName,"
    "PreviousName_10.CONDATE, PreviousName_10.CompanyName,ConfStmtNextDueDate, ConfStmtLastMadeUpDate"
)

WORDS = [
    "AIRE", "KIRKSTALL", "HEADINGLEY", "ROUNDHAY", "HOLBECK", "PENNINE", "WHARFE", "CALDER",
    "MERIDIAN", "NORTHERN", "BEACON", "HARBOUR", "WILLOW", "GRANITE", "SUMMIT", "LANTERN",
    "OAKWOOD", "RIVERSIDE", "FOXGLOVE", "ORCHARD", "KESTREL", "BRAMBLE", "THISTLE", "CEDAR",
]  # fmt: skip
TRADES = [
    "CONSULTING", "PROPERTIES", "TRADING", "SERVICES", "HOLDINGS", "BUILDERS", "DESIGN", "LOGISTICS",
    "CATERING", "SOFTWARE", "MEDICAL", "HEALTH", "DIGITAL", "INVESTMENTS", "ENGINEERING", "RETAIL",
]  # fmt: skip
STREETS = ["HIGH STREET", "STATION ROAD", "CHURCH LANE", "MILL ROAD", "PARK AVENUE", "VICTORIA ROAD"]
TOWNS = ["LONDON", "MANCHESTER", "BIRMINGHAM", "LEEDS", "BRADFORD", "GLASGOW", "BRISTOL", "YORK"]
COUNTIES = ["", "", "", "", "", "WEST YORKSHIRE", "GREATER MANCHESTER", "NORTH YORKSHIRE", "KENT"]
# Outward codes: the region's (about 4 % of rows) and elsewhere.
REGION_OUTWARD = [
    "LS1", "LS2", "LS6", "LS9", "LS11", "LS25", "BD1", "BD7", "BD23", "WF1", "WF3", "HD1", "HX1",
    "HG1", "YO1", "YO8", "YO10",
]  # fmt: skip
REGION_SECTORS = ["LA2 7", "LA6 3", "DN14 0"]
ELSEWHERE_OUTWARD = [
    "M1", "M14", "B1", "B15", "L1", "S1", "S10", "E1", "EC1A", "N1", "SW1A", "W1D", "NE1", "CF10",
    "G1", "EH1", "BS1", "NG1", "LE1", "CB1", "OX1", "LA1", "DN1", "DN14", "SK1", "CV1",
]  # fmt: skip
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
CATEGORIES = ["Private Limited Company"] * 17 + ["Community Interest Company", "PRI/LBG/NSC (Private, Limited by guarantee, no share capital, use of 'Limited' exemption)", "Public Limited Company"]  # fmt: skip
STATUSES = ["Active"] * 46 + ["Active - Proposal to Strike off", "Liquidation", "In Administration", "Voluntary Arrangement"]  # fmt: skip
ACCOUNT_CATEGORIES = ["TOTAL EXEMPTION FULL", "MICRO ENTITY", "DORMANT", "FULL", "UNAUDITED ABRIDGED", "NO ACCOUNTS FILED"]  # fmt: skip
SIC_COMMON = [
    "70229 - Management consultancy activities other than financial management",
    "68209 - Other letting and operating of own or leased real estate",
    "62020 - Information technology consultancy activities",
    "62012 - Business and domestic software development",
    "41100 - Development of building projects",
    "56101 - Licensed restaurants",
    "47910 - Retail sale via mail order houses or via Internet",
    "82990 - Other business support service activities n.e.c.",
    "96090 - Other service activities n.e.c.",
    "43390 - Other building completion and finishing",
    "99999 - Dormant Company",
    "86900 - Other human health activities",
]
SIC_HEALTH = [
    "21200 - Manufacture of pharmaceutical preparations",
    "26600 - Manufacture of irradiation, electromedical and electrotherapeutic equipment",
    "32500 - Manufacture of medical and dental instruments and supplies",
    "72110 - Research and experimental development on biotechnology",
    "46460 - Wholesale of pharmaceutical goods",
]


def quoted(value):
    return '"' + value.replace('"', '""') + '"'


def date(rng, first_year, last_year):
    return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(first_year, last_year)}"


def postcode(rng):
    if rng.random() < 0.04:
        if rng.random() < 0.1:
            sector = rng.choice(REGION_SECTORS)
            return f"{sector}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
        outward = rng.choice(REGION_OUTWARD)
    else:
        outward = rng.choice(ELSEWHERE_OUTWARD)
    inward = f"{rng.randint(0, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    return f"{outward} {inward}"


def company_row(rng, n):
    number = f"{n:08d}" if n % 50 else f"SC{n // 50:06d}"
    name = f"{rng.choice(WORDS)} {rng.choice(TRADES)} BENCH {n} LIMITED"
    if n % 20_000 == 7:
        name = f'{rng.choice(WORDS)}, "{rng.choice(TRADES)}" & CO BENCH {n} LIMITED'
    line1 = f"{rng.randint(1, 400)} {rng.choice(STREETS)}"
    line2 = rng.choice(["", "", "", f"UNIT {rng.randint(1, 40)}"])
    if n % 50_000 == 11:
        line2 = f"FLOOR {rng.randint(1, 9)}\n{rng.choice(WORDS)} HOUSE, {rng.choice(STREETS)}"
    health = rng.random() < 0.01
    sics = [rng.choice(SIC_HEALTH if health else SIC_COMMON)]
    while len(sics) < 4 and rng.random() < 0.12:
        sics.append(rng.choice(SIC_COMMON))
    sics += [""] * (4 - len(sics))
    previous = []
    if rng.random() < 0.12:
        for _ in range(rng.randint(1, 2)):
            previous += [date(rng, 1990, 2025), f"{rng.choice(WORDS)} {rng.choice(TRADES)} {n} LTD"]
    previous += [""] * (2 * PREVIOUS_NAMES - len(previous))
    fields = [
        name,
        number,
        "",
        "",
        line1,
        line2,
        rng.choice(TOWNS),
        rng.choice(COUNTIES),
        rng.choice(["ENGLAND", "UNITED KINGDOM", ""]),
        postcode(rng),
        rng.choice(CATEGORIES),
        rng.choice(STATUSES),
        "United Kingdom",
        "",
        date(rng, 1950, 2025),
        str(rng.randint(1, 31)),
        str(rng.randint(1, 12)),
        date(rng, 2026, 2027),
        date(rng, 2024, 2025),
        rng.choice(ACCOUNT_CATEGORIES),
        "",
        "",
        "0",
        "0",
        "0",
        "0",
        *sics,
        "0",
        "0",
        f"http://business.data.gov.uk/id/company/{number}",
        *previous,
        date(rng, 2026, 2027),
        date(rng, 2025, 2026),
    ]
    return ",".join(map(quoted, fields)) + "\r\n"


def write_rows(stream, rows, seed):
    rng = random.Random(seed)
    stream.write(HEADER + "\r\n")
    batch = []
    for n in range(1, rows + 1):
        batch.append(company_row(rng, n))
        if len(batch) == 10_000:
            stream.write("".join(batch))
            batch.clear()
    stream.write("".join(batch))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("path", type=Path, help="a .csv, or a .zip holding one .csv of the same stem")
    parser.add_argument("--rows", type=int, default=5_500_000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--zip", action="store_true", help="write a zip, as Companies House publishes it")
    args = parser.parse_args()

    args.path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.zip:
        # Level 1 writes four times faster; inflating is as fast whatever the level.
        with zipfile.ZipFile(args.path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            member = archive.open(args.path.with_suffix(".csv").name, "w", force_zip64=True)
            with io.TextIOWrapper(member, encoding="utf-8", newline="") as stream:
                write_rows(stream, args.rows, args.seed)
            size = archive.infolist()[0].file_size
    else:
        with open(args.path, "w", encoding="utf-8", newline="") as stream:
            write_rows(stream, args.rows, args.seed)
        size = args.path.stat().st_size
    print(
        f"Wrote {args.rows:,} rows ({size / 1e9:.2f} GB of CSV, {size / args.rows:.0f} bytes a row) "
        f"to {args.path} in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
