"""DSN reader, inspection and synthetic generator.

Fixtures are DSN texts built line by line in the tests; every expected number comes from the fixture's
own lines (line numbers are positions in the list of lines written).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines import warehouse
from pipelines.demo.dsn import personal_values, write_dsn_files
from pipelines.errors import SourceFileError
from pipelines.inspect_dsn import format_summary, summarise_dsn
from pipelines.pseudonymise import Pseudonymiser
from pipelines.readers import dsn
from pipelines.readers.base import RawRows, ReadContext, Reject

SECRET = b"0123456789abcdef0123456789abcdef"
SIREN, NIC_A, NIC_B = "123456782", "00011", "00029"
NIR_1, NIR_2 = "2780459350001", "1850675056002"


class Unquoted(str):
    """A value written without its quotes (some producers do)."""


def envoi(nature="01", kind="01", fraction="11", month="01032024", built="05042024"):
    return [
        ("S10.G00.00.001", "PAIE-TEST"), ("S10.G00.00.006", "P26V01"), ("S10.G00.01.001", SIREN),
        ("S10.G00.02.002", "CONTACT SECRETNAME"),
        ("S20.G00.05.001", nature), ("S20.G00.05.002", kind), ("S20.G00.05.003", fraction),
        ("S20.G00.05.005", month), ("S20.G00.05.007", built),
        ("S20.G00.07.001", "AUTRE SECRETCONTACT"),
        ("S21.G00.06.001", SIREN), ("S21.G00.06.002", NIC_A), ("S21.G00.06.004", "ZA L'OUSSON NORD"),
    ]


def establishment(nic=NIC_A):
    return [("S21.G00.11.001", nic), ("S21.G00.11.002", "8710A")]


def person(nir=NIR_1, name="DURANDEAU", first="HÉLÈNE", sex="02", birth="17041978"):
    return [("S21.G00.30.001", nir), ("S21.G00.30.002", name), ("S21.G00.30.004", first),
            ("S21.G00.30.005", sex), ("S21.G00.30.006", birth), ("S21.G00.30.007", "PARIS"),
            ("S21.G00.30.019", "MAT0042")]


def contract(number="00001", start="01022010", nature="01", quotite="121.34", label="AIDE SOIGNANTE", recourse=None,
             pcs="526a"):
    lines = [("S21.G00.40.001", start), ("S21.G00.40.004", pcs), ("S21.G00.40.006", label),
             ("S21.G00.40.007", nature), ("S21.G00.40.009", number), ("S21.G00.40.011", "10"),
             ("S21.G00.40.012", "151.67"), ("S21.G00.40.013", quotite)]
    return lines + ([("S21.G00.40.021", recourse)] if recourse else [])


def stoppage(reason="01", last_worked="10032024", end="20032024", resumed=None):
    lines = [("S21.G00.60.001", reason), ("S21.G00.60.002", last_worked), ("S21.G00.60.003", end),
             ("S21.G00.60.007", "FR7630001007941234567890185")]
    return lines + ([("S21.G00.60.010", resumed)] if resumed else [])


def pay(number="00001", amount="1750.00"):
    return [("S21.G00.50.001", "31032024"), ("S21.G00.51.001", "01032024"), ("S21.G00.51.002", "31032024"),
            ("S21.G00.51.010", number), ("S21.G00.51.011", "001"), ("S21.G00.51.013", amount)]


def totals(lines_before: int, declarations: int = 1):
    return [("S90.G00.90.001", str(lines_before + 2)), ("S90.G00.90.002", str(declarations))]


def standard(*extra_people):
    """One declaration, one establishment, one person with one contract, a stoppage and a pay block."""
    body = envoi() + establishment() + person() + contract() + stoppage() + pay()
    for lines in extra_people:
        body += lines
    return body + totals(len(body))


def render(lines, newline="\r\n", encoding="iso-8859-1") -> bytes:
    text = newline.join(f"{r},{v}" if isinstance(v, Unquoted) else f"{r},'{v}'" for r, v in lines) + newline
    return text.encode(encoding)


def line_of(lines, rubric, occurrence=0) -> int:
    """1-based line number of the n-th occurrence of a rubric in a fixture."""
    return [i for i, (r, _) in enumerate(lines, start=1) if r == rubric][occurrence]


def context(**options) -> ReadContext:
    return ReadContext(Pseudonymiser(SECRET), options=options)


def read(path: Path, ctx: ReadContext | None = None) -> tuple[dict[str, pa.Table], list[Reject], ReadContext]:
    ctx = ctx or context()
    batches: dict[str, list[pa.RecordBatch]] = {}
    rejects = []
    for item in dsn.read(path, ctx):
        if isinstance(item, Reject):
            rejects.append(item)
        else:
            assert isinstance(item, RawRows)
            assert item.batch.schema.equals(dsn.TABLES[item.table]), item.table
            batches.setdefault(item.table, []).append(item.batch)
    tables = {name: pa.Table.from_batches(batches.get(name, []), schema=schema) for name, schema in dsn.TABLES.items()}
    return tables, rejects, ctx


def write(tmp_path: Path, lines, name="DSN_TEST.dsn", **render_options) -> Path:
    path = tmp_path / name
    path.write_bytes(render(lines, **render_options))
    return path


def rows(table: pa.Table) -> list[dict]:
    return table.to_pylist()


# --- Grammar -------------------------------------------------------------------------------------------

def test_value_with_quote_and_comma_unquoted_value_and_unknown_rubrics(tmp_path):
    lines = envoi() + establishment() + person() + [
        ("S21.G00.40.001", "01022010"), ("S21.G00.40.006", "AGENT D'ENTRETIEN, NUIT"),
        ("S21.G00.40.007", Unquoted("02")), ("S21.G00.40.009", "00001"), ("S21.G00.40.010", ""),
        ("S21.G00.40.021", "01"), ("S21.G00.40.999", "RUBRIQUE FUTURE"), ("S21.G00.99.001", "BLOC FUTUR"),
    ]
    lines += totals(len(lines))
    tables, rejects, ctx = read(write(tmp_path, lines))

    assert rejects == [] and ctx.warnings == []
    (job,) = rows(tables["raw_dsn_contracts"])
    assert job["job_label"] == "AGENT D'ENTRETIEN, NUIT"
    assert job["nature"] == "02" and job["recourse_reason"] == "01" and job["planned_end_date"] is None
    assert job["_line"] == line_of(lines, "S21.G00.40.001")
    others = {r["rubric"]: r for r in rows(tables["raw_dsn_other_rubrics"])}
    future = others["S21.G00.40.999"]
    assert future["value"] == "RUBRIQUE FUTURE" and future["_line"] == line_of(lines, "S21.G00.40.999")
    assert future["contract_line"] == line_of(lines, "S21.G00.40.001")
    assert future["individual_line"] == line_of(lines, "S21.G00.30.001")
    unknown_block = others["S21.G00.99.001"]
    assert unknown_block["value"] == "BLOC FUTUR" and unknown_block["block_line"] == unknown_block["_line"]
    assert others["S21.G00.06.004"]["value"] == "ZA L'OUSSON NORD"


@pytest.mark.parametrize(
    ("newline", "encoding"), [("\r\n", "iso-8859-1"), ("\n", "iso-8859-1"), ("\r\n", "utf-8"), ("\n", "utf-8")]
)
def test_line_endings_and_encodings(tmp_path, newline, encoding):
    lines = envoi() + establishment() + person() + contract(label="ÉDUCATRICE SPÉCIALISÉE À L'IME")
    lines += totals(len(lines))
    tables, rejects, ctx = read(write(tmp_path, lines, newline=newline, encoding=encoding))

    assert rejects == [] and ctx.warnings == []
    (job,) = rows(tables["raw_dsn_contracts"])
    assert job["job_label"] == "ÉDUCATRICE SPÉCIALISÉE À L'IME"
    assert job["_line"] == line_of(lines, "S21.G00.40.001")
    assert job["quotite"] == pytest.approx(121.34) and job["quotite_reference"] == pytest.approx(151.67)


def test_stray_cr_trailing_blanks_bom_and_blank_lines(tmp_path):
    lines = standard()
    text = render(lines).replace(b"S21.G00.40.006,'AIDE SOIGNANTE'\r\n", b"S21.G00.40.006,'AIDE SOIGNANTE'  \r\r\n\r\n")
    path = tmp_path / "odd.dsn"
    path.write_bytes(b"\xef\xbb\xbf" + text)
    tables, rejects, ctx = read(path)

    assert rejects == []
    (job,) = rows(tables["raw_dsn_contracts"])
    assert job["job_label"] == "AIDE SOIGNANTE"
    # the blank line shifts the following lines by one
    assert rows(tables["raw_dsn_contracts"])[0]["_line"] == line_of(lines, "S21.G00.40.001")
    (payment,) = [r for r in rows(tables["raw_dsn_other_rubrics"]) if r["rubric"] == "S21.G00.50.001"]
    assert payment["_line"] == line_of(lines, "S21.G00.50.001") + 1
    assert rows(tables["raw_dsn_declarations"])[0]["file_line_count"] == len(lines)


def test_chunk_boundaries_do_not_change_anything(tmp_path, monkeypatch):
    lines = standard(person(NIR_2, "MARTINEAU", "JEAN", "01") + contract("00007") + pay("00007"))
    path = write(tmp_path, lines)
    expected, _, _ = read(path)
    monkeypatch.setattr(dsn, "CHUNK_BYTES", 37)
    chunked, rejects, _ = read(path)
    assert rejects == []
    for name in dsn.TABLES:
        key = ["_line", "rubric"] if name == "raw_dsn_other_rubrics" else ["_line"]
        assert chunked[name].sort_by([(k, "ascending") for k in key]).equals(
            expected[name].sort_by([(k, "ascending") for k in key])), name


def test_unreadable_line_is_rejected_and_the_rest_loads(tmp_path):
    lines = standard()
    text = render(lines).replace(b"S21.G00.40.006,'AIDE SOIGNANTE'", b"S21.G00.40.006 'AIDE SOIGNANTE'")
    text = text.replace(b"S21.G00.30.002,'DURANDEAU'", b"S21.G00.30.002,'DURANDEAU")
    path = tmp_path / "bad.dsn"
    path.write_bytes(text)
    tables, rejects, _ = read(path)

    by_line = {r.line: r for r in rejects}
    assert set(by_line) == {line_of(lines, "S21.G00.40.006"), line_of(lines, "S21.G00.30.002")}
    assert "format attendu" in by_line[line_of(lines, "S21.G00.40.006")].reason
    assert "apostrophe" in by_line[line_of(lines, "S21.G00.30.002")].reason
    assert "DURANDEAU" not in by_line[line_of(lines, "S21.G00.30.002")].excerpt  # a name stays masked
    assert len(tables["raw_dsn_contracts"]) == 1 and len(tables["raw_dsn_individuals"]) == 1


# --- Whole-file problems -------------------------------------------------------------------------------

def test_file_without_s90_loads_with_a_warning(tmp_path):
    lines = standard()[:-2]
    tables, rejects, ctx = read(write(tmp_path, lines))
    assert rejects == []
    assert len(tables["raw_dsn_individuals"]) == 1
    assert any("S90" in w for w in ctx.warnings)
    (declaration,) = rows(tables["raw_dsn_declarations"])
    assert declaration["declared_line_total"] is None and declaration["file_line_count"] == len(lines)


def test_wrong_line_total_is_reported(tmp_path):
    lines = standard()
    lines[-2] = ("S90.G00.90.001", str(len(lines) + 5))
    tables, _, ctx = read(write(tmp_path, lines))
    (declaration,) = rows(tables["raw_dsn_declarations"])
    assert declaration["declared_line_total"] == len(lines) + 5 and declaration["file_line_count"] == len(lines)
    assert any(f"ligne {len(lines) - 1}" in w and str(len(lines) + 5) in w for w in ctx.warnings)


def test_truncated_file_is_refused_naming_its_last_line(tmp_path):
    lines = standard()
    text = render(lines)
    cut = text.index(b"S21.G00.51.013,'1750") + len(b"S21.G00.51.013,'1750")
    path = tmp_path / "cut.dsn"
    path.write_bytes(text[:cut])
    with pytest.raises(SourceFileError) as error:
        read(path)
    assert error.value.line == line_of(lines, "S21.G00.51.013")
    assert "tronqué" in error.value.reason and "cut.dsn" in str(error.value)


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "vide"), (b"\r\n\r\n  \r\n", "vide"), (b"S10\x00\x01\x02" * 50, "binaire"),
     (b"nom;prenom\nDUPONT;JEAN\n", "pas une DSN"), (render(envoi()[:4]), "aucune déclaration")],
)
def test_files_that_cannot_be_read_at_all(tmp_path, content, words):
    path = tmp_path / "x.dsn"
    path.write_bytes(content)
    with pytest.raises(SourceFileError) as error:
        read(path)
    assert words in error.value.reason and "x.dsn" in str(error.value)


def test_invalid_utf8_after_utf8_is_an_encoding_error(tmp_path):
    lines = standard()
    text = render(lines, encoding="utf-8").replace(b"'PARIS'", b"'PAR\xe9S'")
    path = tmp_path / "mixed.dsn"
    path.write_bytes(text)
    with pytest.raises(SourceFileError) as error:
        read(path)
    assert error.value.line == line_of(lines, "S21.G00.30.007") and "encodage" in error.value.reason


# --- Natures and declarations --------------------------------------------------------------------------

def test_signalement_is_refused_with_its_nature(tmp_path):
    lines = envoi(nature="04") + establishment() + person() + contract() + stoppage()
    lines += totals(len(lines))
    path = write(tmp_path, lines)
    with pytest.raises(SourceFileError) as error:
        read(path)
    assert error.value.line == line_of(lines, "S20.G00.05.001")
    assert "nature 04" in error.value.reason and "arrêt" in error.value.reason
    tables, rejects, _ = read(path, context(all_natures=True))  # what inspection does
    assert rejects == [] and rows(tables["raw_dsn_declarations"])[0]["nature"] == "04"


def test_envoi_mixing_a_monthly_dsn_and_a_signalement(tmp_path):
    first = envoi() + establishment() + person() + contract()
    second = envoi(nature="05")[4:] + establishment() + person(NIR_2) + contract()
    lines = first + second
    lines += totals(len(lines), declarations=2)
    tables, rejects, ctx = read(write(tmp_path, lines))

    second_start = len(first) + 1
    assert sorted(r.line for r in rejects) == list(range(second_start, len(first) + len(second) + 1))
    assert all("nature 05" in r.reason for r in rejects)
    assert "SECRETCONTACT" not in " ".join(r.excerpt for r in rejects)
    assert [r["nature"] for r in rows(tables["raw_dsn_declarations"])] == ["01"]
    assert len(tables["raw_dsn_individuals"]) == 1
    assert ctx.warnings == []


def test_annule_et_remplace_is_kept_with_what_identifies_it(tmp_path):
    lines = envoi(kind="03", fraction="12", month="01032024", built="12042024") + establishment() + person() + contract()
    lines += totals(len(lines))
    tables, rejects, _ = read(write(tmp_path, lines))
    (declaration,) = rows(tables["raw_dsn_declarations"])
    assert rejects == []
    assert (declaration["declaration_type"], declaration["fraction"], declaration["siret"]) == ("03", "12", SIREN + NIC_A)
    assert declaration["declared_month"] == dt.date(2024, 3, 1)
    assert declaration["constitution_date"] == dt.date(2024, 4, 12)
    assert declaration["declaration_line"] == line_of(lines, "S20.G00.05.001")


def test_several_establishments_in_one_declaration(tmp_path):
    lines = (envoi() + establishment(NIC_A) + person() + contract()
             + establishment(NIC_B) + person(NIR_2, "MARTINEAU", "JEAN", "01") + contract("00003")
             + person("2900175056003", "TRAORÉ", "AÏCHA") + contract("00001"))
    lines += totals(len(lines))
    tables, rejects, _ = read(write(tmp_path, lines))

    assert rejects == []
    declarations = rows(tables["raw_dsn_declarations"])
    assert [d["siret"] for d in declarations] == [SIREN + NIC_A, SIREN + NIC_B]
    assert [d["establishment_line"] for d in declarations] == [
        line_of(lines, "S21.G00.11.001", 0), line_of(lines, "S21.G00.11.001", 1)]
    sirets = [i["siret"] for i in rows(tables["raw_dsn_individuals"])]
    assert sirets == [SIREN + NIC_A, SIREN + NIC_B, SIREN + NIC_B]
    assert [c["siret"] for c in rows(tables["raw_dsn_contracts"])] == sirets


def test_block_out_of_order(tmp_path):
    # a stoppage before any contract of its individual, a contract before any individual of the
    # establishment: rejected with their lines; pay blocks before the contracts are fine (the norm's
    # other order) and still find their contract by number
    misplaced_contract = contract("00009")
    lines = envoi() + establishment() + misplaced_contract + person() + stoppage() + pay("00002") + contract("00002")
    lines += totals(len(lines))
    tables, rejects, _ = read(write(tmp_path, lines))

    start = len(envoi() + establishment())
    contract_lines = list(range(start + 1, start + len(misplaced_contract) + 1))
    stop_start = start + len(misplaced_contract) + len(person())
    stop_lines = list(range(stop_start + 1, stop_start + len(stoppage()) + 1))
    assert sorted(r.line for r in rejects) == contract_lines + stop_lines
    assert all("aucun individu" in r.reason for r in rejects if r.line in contract_lines)
    assert all("aucun contrat" in r.reason and "S21.G00.60" in r.reason for r in rejects if r.line in stop_lines)
    (job,) = rows(tables["raw_dsn_contracts"])
    assert job["contract_number"] == "00002"
    (paid,) = rows(tables["raw_dsn_remunerations"])
    assert (paid["contract_number"], paid["contract_line"]) == ("00002", job["_line"])
    assert tables["raw_dsn_work_stoppages"].num_rows == 0


def test_decreasing_rubric_number_opens_a_new_instance(tmp_path):
    lines = envoi() + establishment() + person() + contract() + [
        ("S21.G00.65.001", "632"), ("S21.G00.65.002", "01032024"), ("S21.G00.65.003", "31082024"),
        ("S21.G00.65.001", "501"), ("S21.G00.65.002", "04032024"), ("S21.G00.65.003", "06032024"),
    ]
    lines += totals(len(lines))
    tables, rejects, _ = read(write(tmp_path, lines))
    suspensions = rows(tables["raw_dsn_suspensions"])
    assert rejects == []
    assert [(s["reason"], s["start_date"], s["end_date"]) for s in suspensions] == [
        ("632", dt.date(2024, 3, 1), dt.date(2024, 8, 31)), ("501", dt.date(2024, 3, 4), dt.date(2024, 3, 6))]
    assert [s["_line"] for s in suspensions] == [line_of(lines, "S21.G00.65.001", 0), line_of(lines, "S21.G00.65.001", 1)]


# --- Values, links and privacy -------------------------------------------------------------------------

def test_links_keys_and_typed_values(tmp_path):
    lines = standard(person(NIR_2 + "47", "MARTINEAU", "JEAN", "01", birth="00001985") + contract("00002")
                     + contract("00003", nature="02", recourse="01") + pay(number="00003")
                     + [("S21.G00.62.001", "15032024"), ("S21.G00.62.002", "031")])
    tables, rejects, ctx = read(write(tmp_path, lines))
    assert rejects == [] and ctx.warnings == []
    key_1 = Pseudonymiser(SECRET).key(NIR_1, "employee")
    key_2 = Pseudonymiser(SECRET).key(NIR_2, "employee")  # a NIR given with its key is the same person

    individuals = rows(tables["raw_dsn_individuals"])
    assert [(i["individual_key"], i["identifier_kind"], i["sex"]) for i in individuals] == [
        (key_1, "NIR", "02"), (key_2, "NIR", "01")]
    assert individuals[0]["birth_date"] == dt.date(1978, 4, 17)
    assert individuals[1]["birth_date"] == dt.date(1985, 1, 1)  # 00 day and month read as 01
    assert individuals[0]["employee_number_key"] == Pseudonymiser(SECRET).key("MAT0042", "employee_number")

    (stop,) = rows(tables["raw_dsn_work_stoppages"])
    assert (stop["individual_key"], stop["contract_number"], stop["contract_line"]) == (
        key_1, "00001", line_of(lines, "S21.G00.40.001", 0))
    assert (stop["last_day_worked"], stop["expected_end_date"]) == (dt.date(2024, 3, 10), dt.date(2024, 3, 20))
    assert (stop["siret"], stop["declared_month"]) == (SIREN + NIC_A, dt.date(2024, 3, 1))

    (end,) = rows(tables["raw_dsn_contract_ends"])
    assert (end["contract_number"], end["end_reason"], end["end_date"]) == ("00003", "031", dt.date(2024, 3, 15))
    assert end["contract_line"] == line_of(lines, "S21.G00.40.001", 2)

    paid = rows(tables["raw_dsn_remunerations"])
    assert [(p["individual_key"], p["contract_number"], p["contract_line"]) for p in paid] == [
        (key_1, "00001", line_of(lines, "S21.G00.40.001", 0)),  # sole contract, number declared
        (key_2, "00003", line_of(lines, "S21.G00.40.001", 2)),  # matched by number among two
    ]
    assert paid[0]["amount"] == pytest.approx(1750) and str(paid[0]["amount"]) == "1750.00"


def test_remuneration_without_contract_number_takes_the_sole_contract(tmp_path):
    body = envoi() + establishment() + person() + contract("00004") + [
        ("S21.G00.51.001", "01032024"), ("S21.G00.51.011", "002"), ("S21.G00.51.012", "121.34")]
    tables, rejects, _ = read(write(tmp_path, body + totals(len(body))))
    (paid,) = rows(tables["raw_dsn_remunerations"])
    assert rejects == []
    assert (paid["contract_number"], paid["declared_contract_number"]) == ("00004", None)
    assert paid["contract_line"] == line_of(body, "S21.G00.40.001") and paid["hours"] == pytest.approx(121.34)


def test_invalid_values_are_rejected_and_the_row_loads_without_them(tmp_path):
    lines = envoi() + establishment() + person() + contract(start="31022024", quotite="12l.34")
    lines += totals(len(lines))
    tables, rejects, _ = read(write(tmp_path, lines))
    assert sorted((r.line, r.reason.split(" (")[0]) for r in rejects) == [
        (line_of(lines, "S21.G00.40.001"), "valeur « 31022024 » invalide en S21.G00.40.001"),
        (line_of(lines, "S21.G00.40.013"), "valeur « 12l.34 » invalide en S21.G00.40.013"),
    ]
    (job,) = rows(tables["raw_dsn_contracts"])
    assert job["start_date"] is None and job["quotite"] is None and job["contract_number"] == "00001"


def test_ntt_when_there_is_no_nir(tmp_path):
    ntt_person = [(r, v) for r, v in person() if r != "S21.G00.30.001"] + [("S21.G00.30.020", "NTT0001")]
    body = envoi() + establishment() + ntt_person + contract()
    tables, _, _ = read(write(tmp_path, body + totals(len(body))))
    (individual,) = rows(tables["raw_dsn_individuals"])
    assert individual["identifier_kind"] == "NTT"
    assert individual["individual_key"] == Pseudonymiser(SECRET).key("NTT0001", "employee_ntt")


def _text_in_warehouse(con) -> str:
    tables = [r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()]
    chunks = []
    for table in tables:
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_name = ? and data_type = 'VARCHAR'",
            [table]).fetchall()]
        for column in columns:
            chunks += [str(v[0]) for v in con.execute(f'select distinct "{column}" from "{table}"').fetchall()]
    return "\n".join(chunks)


def test_no_nir_nor_name_reaches_the_warehouse(tmp_path):
    files = write_dsn_files(tmp_path / "dsn", "000000000", [("00000000000011", "500"), ("00000000000029", "183")],
                            dt.date(2024, 10, 1), 6, 12, seed=3)
    bad = tmp_path / "dsn" / "DSN_BAD.dsn"  # rejected lines carrying names and NIR
    bad.write_bytes(render(standard()).replace(b"S21.G00.30.002,'DURANDEAU'", b"S21.G00.30.002 'DURANDEAU'")
                    .replace(b"S21.G00.30.001,", b"S21.G00.30.001 "))
    con = warehouse.connect(tmp_path / "w.duckdb")
    ctx = context()
    for path in [*files, bad]:
        assert warehouse.load_file(con, dsn, path, ctx).status == "charge"
    stored = _text_in_warehouse(con)

    secrets_written = personal_values(files) | {NIR_1, "DURANDEAU", "HÉLÈNE", "SECRETNAME", "SECRETCONTACT", "MAT0042"}
    assert len(secrets_written) > 50
    leaked = sorted(v for v in secrets_written if v in stored)
    assert leaked == []
    assert con.execute("select count(*) from raw_dsn_individuals").fetchone()[0] > 0


def test_loading_the_same_file_twice_loads_it_once(tmp_path):
    path = write(tmp_path, standard())
    con = warehouse.connect(tmp_path / "w.duckdb")
    first = warehouse.load_file(con, dsn, path, context())
    counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in dsn.TABLES}
    second = warehouse.load_file(con, dsn, path, context())
    assert (first.status, second.status) == ("charge", "deja_charge")
    assert first.rows_loaded == sum(counts.values()) and counts["raw_dsn_work_stoppages"] == 1
    assert counts == {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in dsn.TABLES}


def test_a_refused_file_is_logged_with_its_french_reason(tmp_path):
    path = tmp_path / "empty.dsn"
    path.write_bytes(b"")
    con = warehouse.connect(tmp_path / "w.duckdb")
    result = warehouse.load_file(con, dsn, path, context())
    assert result.status == "rejete" and "vide" in result.message
    assert con.execute("select reason from rejects").fetchone()[0] == "fichier vide"


def test_discover_finds_dsn_files_in_sub_folders(tmp_path):
    for name in ("2024/DSN_B.dsn", "2024/DSN_A.DSN", "DSN_C.txt", "notes.pdf", "~$DSN_D.dsn"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    assert [p.relative_to(tmp_path).as_posix() for p in dsn.discover(tmp_path)] == [
        "2024/DSN_A.DSN", "2024/DSN_B.dsn", "DSN_C.txt"]


# --- Inspection ----------------------------------------------------------------------------------------

def test_inspect_summarises_without_loading(tmp_path):
    good = write(tmp_path, standard(person(NIR_2, "MARTINEAU", "JEAN", "01") + contract("00002")), "good.dsn")
    signalement = envoi(nature="04") + establishment() + person() + contract() + stoppage()
    other = write(tmp_path, signalement + totals(len(signalement)), "signalement.dsn")
    empty = tmp_path / "empty.dsn"
    empty.write_bytes(b"")

    first, second, third = summarise_dsn([good, other, empty])
    assert (first["nature"], first["month"], first["siren"], first["establishments"]) == (
        "01", "2024-03", [SIREN], [SIREN + NIC_A])
    assert (first["individuals"], first["contracts"], first["work_stoppages"]) == (2, 2, 1)
    assert first["anomalies"] == []
    assert second["nature"] == "04" and any("nature 04" in a for a in second["anomalies"])
    assert not third["readable"] and "vide" in third["anomalies"][0]
    text = format_summary([first, second, third])
    assert "DSN mensuelle" in text and "arrêts de travail : 1" in text and "fichier illisible" in text
    assert not list(tmp_path.glob("*.duckdb"))


# --- Synthetic generator -------------------------------------------------------------------------------

ESTABLISHMENTS = [("00000000000011", "500"), ("00000000000029", "183")]


def _digest(paths) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_generator_is_deterministic(tmp_path):
    first = write_dsn_files(tmp_path / "a", "000000000", ESTABLISHMENTS, dt.date(2024, 1, 1), 7, 15, seed=11)
    again = write_dsn_files(tmp_path / "b", "000000000", ESTABLISHMENTS, dt.date(2024, 1, 1), 7, 15, seed=11)
    other = write_dsn_files(tmp_path / "c", "000000000", ESTABLISHMENTS, dt.date(2024, 1, 1), 7, 15, seed=12)
    assert _digest(first) == _digest(again)
    assert _digest(first) != _digest(other)


def test_generated_files_parse_without_rejects_and_carry_the_pitfalls(tmp_path):
    paths = write_dsn_files(tmp_path, "000000000", ESTABLISHMENTS, dt.date(2024, 9, 1), 8, 20, seed=5,
                            finess={"00000000000011": "990000011"})
    names = {p.name for p in paths}
    assert {"DSN_00000000000011_202412_AR.dsn", "DSN_00000000000011_202501_F1.dsn",
            "DSN_00000000000011_202501_F2.dsn", "DSN_00000000000029_202504.dsn"} <= names
    raw = {p.name: p.read_bytes() for p in paths}
    assert b"\r\n" not in raw["DSN_00000000000011_202410.dsn"]  # the LF-only file
    raw["DSN_00000000000029_202409.dsn"].decode("utf-8")
    assert "É".encode("latin-1") in raw["DSN_00000000000011_202409.dsn"]

    ctx = context()
    tables: dict[str, list[pa.Table]] = {}
    for path in paths:
        read_tables, rejects, _ = read(path, ctx)
        assert rejects == [], (path.name, rejects[:3])
        for name, table in read_tables.items():
            tables.setdefault(name, []).append(table.append_column("file", pa.array([path.name] * len(table), pa.string())))
    assert ctx.warnings == []
    t = {name: pa.concat_tables(parts).to_pylist() for name, parts in tables.items()}

    declarations = {(d["file"], d["declaration_type"], d["fraction"]) for d in t["raw_dsn_declarations"]}
    assert ("DSN_00000000000011_202412_AR.dsn", "03", "11") in declarations
    assert {("DSN_00000000000011_202501_F1.dsn", "01", "12"), ("DSN_00000000000011_202501_F2.dsn", "01", "22")} <= declarations
    stoppages = t["raw_dsn_work_stoppages"]
    assert {"01", "02", "04", "06"} <= {s["reason"] for s in stoppages}
    last_month = max(s["declared_month"] for s in stoppages)
    assert any(s["reason"] == "01" and s["declared_month"] == last_month and s["resumption_date"] is None
               and (last_month - s["last_day_worked"]).days > 90 for s in stoppages)
    assert t["raw_dsn_contract_changes"] and all(c["old_quotite"] for c in t["raw_dsn_contract_changes"])
    assert any(c["nature"] == "02" and c["recourse_reason"] == "01" for c in t["raw_dsn_contracts"])
    assert {i["identifier_kind"] for i in t["raw_dsn_individuals"]} == {"NIR", "NTT"}
    assert any(r["amount"] < 0 for r in t["raw_dsn_remunerations"])
    assert {c["finess_geo"] for c in t["raw_dsn_contracts"] if c["siret"] == "00000000000011"} == {"990000011"}

    # plausible staff (spec §1.7): mostly women, some part time, CDD a minority
    people = {i["individual_key"]: i["sex"] for i in t["raw_dsn_individuals"]}
    women = sum(sex == "02" for sex in people.values()) / len(people)
    assert 0.65 <= women <= 0.95
    contracts = t["raw_dsn_contracts"]
    fixed_term = sum(c["nature"] == "02" for c in contracts) / len(contracts)
    part_time = sum(c["quotite"] < c["quotite_reference"] for c in contracts) / len(contracts)
    assert 0.02 <= fixed_term <= 0.35 and 0.1 <= part_time <= 0.5


def _load_log(con) -> list[tuple]:
    return con.execute("select load_id, file_name, file_path, file_hash, file_bytes, status, rows_loaded, "
                       "rows_rejected, message from load_log order by load_id").fetchall()


def _rejects(con) -> list[tuple]:
    return con.execute("select * from rejects order by all").fetchall()


def test_grouped_loads_record_what_one_by_one_loads_record(tmp_path, monkeypatch):
    """load_files keeps load_log in memory while its group is open (copies, refusals, load ids): the same
    log, rejects and rows as load_file file by file, on a second run too (a refusal replaced, not repeated)."""
    folder = tmp_path / "dsn"
    folder.mkdir()
    good = write(folder, standard(), name="A_good.dsn")
    (folder / "B_copy.dsn").write_bytes(good.read_bytes())
    (folder / "C_empty.dsn").write_bytes(b"")
    bad = write(folder, [(r, v) for r, v in standard() if not r.startswith("S21.G00.11")], name="D_bad.dsn")
    big = write(folder, standard(person(nir="2780475123457", name="MARTIN")), name="E_big.dsn")
    paths = [good, folder / "B_copy.dsn", folder / "C_empty.dsn", bad, big]
    monkeypatch.setattr(warehouse, "GROUP_BYTES", big.stat().st_size - 1)  # E is streamed on its own

    one_by_one = warehouse.connect(tmp_path / "one.duckdb")
    grouped = warehouse.connect(tmp_path / "grouped.duckdb")
    for _run in range(2):
        expected = [warehouse.load_file(one_by_one, dsn, path, context()) for path in paths]
        assert warehouse.load_files(grouped, dsn, paths, context()) == expected
    assert [r.status for r in expected] == ["deja_charge", "deja_charge", "rejete", "deja_charge", "deja_charge"]
    assert "même contenu que" in expected[1].message
    assert _load_log(grouped) == _load_log(one_by_one)
    assert [row[1:3] + row[5:6] for row in _load_log(grouped)] == [
        (p.name, str(p), status) for p, status in ((good, "charge"), (bad, "charge"), (big, "charge"), (paths[2], "rejete"))
    ]
    assert _rejects(grouped) == _rejects(one_by_one) and len(_rejects(grouped)) > 1
    for table in dsn.TABLES:
        query = f"select * from {table} order by all"
        assert grouped.execute(query).fetchall() == one_by_one.execute(query).fetchall()


def _variants(folder: Path) -> list[Path]:
    """One file per situation the reader tells apart, in one folder (read together, in this order)."""
    def cut(lines):
        text = render(lines)
        return text[: text.index(b"S21.G00.51.013,'1750") + len(b"S21.G00.51.013,'1750")]

    mixed = envoi() + establishment() + person() + contract() + envoi(nature="05")[4:] + establishment()
    misplaced = envoi() + person() + contract() + establishment() + person(NIR_2) + contract()
    wrong_total = standard()
    wrong_total[-2] = ("S90.G00.90.001", "999")
    contents = {
        "a_standard.dsn": render(standard(person(NIR_2, "MARTIN") + contract("00002") + pay("00002"))),
        "b_empty.dsn": b"", "c_blank.dsn": b"\r\n \r\n", "d_binary.dsn": b"S10\x00\x01" * 50,
        "e_truncated.dsn": cut(standard()), "f_signalement.dsn": render(envoi(nature="04") + establishment() + person()),
        "g_mixed.dsn": render(mixed + totals(len(mixed), 2)), "h_misplaced.dsn": render(misplaced),
        "i_utf8_bom.dsn": b"\xef\xbb\xbf" + render(standard(), newline="\n", encoding="utf-8"),
        "j_bad_values.dsn": render(standard(person(NIR_2, birth="31022024") + contract("00003", quotite="1O"))),
        "k_unreadable.dsn": render(standard()).replace(b"S21.G00.40.006,'AIDE", b"S21.G00.40.006 'AIDE"),
        "l_ntt.dsn": render(envoi() + establishment() + [("S21.G00.30.020", "NTT0001")] + contract()),
        "m_wrong_total.dsn": render(wrong_total), "n_not_dsn.dsn": b"nom;prenom\nDUPONT;JEAN\n",
        "o_no_declaration.dsn": render(envoi()[:4]),
        "p_last_unterminated.dsn": render(standard()).rstrip(b"\r\n"),
        "q_person_first.dsn": render(person(NIR_2) + contract("00009") + standard()),  # not the previous file's
        "r_envoi_only.dsn": render([("S10.G00.00.001", "AUTRE-LOGICIEL")]),
        "s_envoi_continued.dsn": render(standard()[1:]),  # its envoi block is its own, not r's continued
    }
    for name, content in contents.items():
        (folder / name).write_bytes(content)
    write_dsn_files(folder / "demo", SIREN, [(SIREN + NIC_A, "500"), (SIREN + NIC_B, "183")], dt.date(2024, 1, 1), 3,
                    12, seed=3)
    return dsn.discover(folder)


@pytest.mark.parametrize("chunk_bytes", [dsn.CHUNK_BYTES, 200])
def test_files_read_together_load_what_each_file_loads_alone(tmp_path, monkeypatch, chunk_bytes):
    """load_files reads a group's files in one pass (dsn.read_many): the same rows (line numbers of their
    own file), rejects, refusals, load log and warnings as each file read on its own, whatever the chunks."""
    folder = tmp_path / "dsn"
    folder.mkdir()
    paths = _variants(folder)
    alone, together = context(), context()
    one_by_one = warehouse.connect(tmp_path / "one.duckdb")
    expected = [warehouse.load_file(one_by_one, dsn, path, alone) for path in paths]
    monkeypatch.setattr(dsn, "CHUNK_BYTES", chunk_bytes)
    grouped = warehouse.connect(tmp_path / "grouped.duckdb")
    assert warehouse.load_files(grouped, dsn, paths, together) == expected
    statuses = [r.status for r in expected]
    assert statuses.count("rejete") == 8 and statuses.count("charge") == len(paths) - 8
    assert _load_log(grouped) == _load_log(one_by_one)
    assert _rejects(grouped) == _rejects(one_by_one) and len(_rejects(grouped)) > 10
    assert together.warnings == alone.warnings and len(alone.warnings) >= 3
    for table in dsn.TABLES:
        query = f"select * from {table} order by all"
        assert grouped.execute(query).fetchall() == one_by_one.execute(query).fetchall(), table
