"""The FEC reader, its checks, `inspect fec` and the synthetic FEC generator.

Fixtures are FEC files written by the tests in the norm's physical variants; every expected number is
computed here from the fixture's own écritures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.demo.fec import write_fec_files
from pipelines.inspect_fec import format_summary, summarise_fec
from pipelines.pseudonymise import Pseudonymiser
from pipelines.readers import fec
from pipelines.readers.base import ReadContext, Reject
from pipelines.warehouse import connect, load_file

HEADER = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
          "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
          "ValidDate", "Montantdevise", "Idevise"]
SIREN = "123456789"

# (journal, journal label, number, date, entry label, [(account, account label, aux, aux label, debit, credit)])
# amounts in cents; the labels carry accents and a typographic apostrophe (a cp1252 byte, 0x92).
ECRITURES = [
    ("AN", "A nouveaux", "1", "20230101", "Reprise des soldes", [
        ("51200000", "Banque", "", "", 15_000_00, 0),
        ("10200000", "Fonds associatifs", "", "", 0, 12_000_00),
        ("16410000", "Emprunts auprès des établissements de crédit", "", "", 0, 3_000_00),
    ]),
    ("ACH", "Achats", "2", "20230310", "Facture d’énergie", [
        ("60610000", "Eau et énergie", "", "", 1_234_56, 0),
        ("40100000", "Fournisseurs", "F0001", "Énergies du Val", 0, 1_234_56),
    ]),
    ("ACH", "Achats", "3", "20230315", "Prestations à caractère médical", [
        ("61110000", "Prestations à caractère médical", "", "", 800_00, 0),
        ("62110000", "Personnel intérimaire", "", "", 199_99, 0),
        ("40100000", "Fournisseurs", "F0002", "Intérim Santé", 0, 999_99),
    ]),
    ("VTE", "Facturation usagers", "4", "20230331", "Hébergement mars", [
        ("41100000", "Usagers", "R0001", "Résident 0001", 2_100_00, 0),
        ("41100000", "Usagers", "R0002", "Résident 0002", 2_100_00, 0),
        ("73531000", "Produits de l’hébergement", "", "", 0, 4_200_00),
    ]),
    ("BQ1", "Banque", "5", "20230410", "Règlement Énergies du Val", [
        ("40100000", "Fournisseurs", "F0001", "Énergies du Val", 1_234_56, 0),
        ("51200000", "Banque", "", "", 0, 1_234_56),
    ]),
    ("OD", "Opérations diverses", "6", "20231231", "Dotation aux amortissements", [
        ("68110000", "Dotations aux amortissements", "", "", 500_00, 0),
        ("28131000", "Amortissements des bâtiments", "", "", 0, 500_00),
    ]),
]
FIXTURE_LINES = sum(len(lines) for *_, lines in ECRITURES)


def fec_rows(ecritures=ECRITURES, montant_sens: bool = False, pad: int = 0) -> list[list[str]]:
    """Header + one row per line, in the Debit/Credit or the Montant/Sens layout."""
    def amount(cents: int) -> str:
        return f"{cents // 100},{cents % 100:02d}".rjust(pad, "0")

    header = HEADER[:11] + (["Montant", "Sens"] if montant_sens else ["Debit", "Credit"]) + HEADER[13:]
    rows = [header]
    for journal, journal_label, number, date, label, lines in ecritures:
        for account, account_label, aux, aux_label, debit, credit in lines:
            amounts = [amount(debit or credit), "D" if debit else "C"] if montant_sens else [amount(debit), amount(credit)]
            rows.append([journal, journal_label, number, date, account, account_label, aux, aux_label,
                         f"P{number}", date, label, *amounts, "", "", date, "", ""])
    return rows


def write_fec(path: Path, rows: list[list[str]], sep: str = "\t", encoding: str = "utf-8", newline: str = "\r\n",
              bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(sep.join(row) + newline for row in rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def fec_path(root: Path, name: str = f"{SIREN}FEC20231231.txt", dossier: str = "ESMS01") -> Path:
    return root / dossier / name


@pytest.fixture
def context() -> ReadContext:
    return ReadContext(Pseudonymiser(b"0123456789abcdef0123456789abcdef"))


@pytest.fixture
def warehouse(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    yield con
    con.close()


def read_all(path: Path, context: ReadContext) -> tuple[dict[str, list[dict]], list[Reject]]:
    tables: dict[str, list[dict]] = {name: [] for name in fec.TABLES}
    rejects = []
    for item in fec.read(path, context):
        if isinstance(item, Reject):
            rejects.append(item)
        else:
            tables[item.table] += item.batch.to_pylist()
    return tables, rejects


def checks_of(tables: dict) -> dict[str, list[dict]]:
    by_id: dict[str, list[dict]] = {}
    for row in tables["raw_fec_checks"]:
        by_id.setdefault(row["check_id"], []).append(row)
    return by_id


# --------------------------------------------------------------------------------------------------
# Two physical variants of one exercise give the same raw lines
# --------------------------------------------------------------------------------------------------


def test_two_variants_of_one_exercise_give_identical_raw_amounts(tmp_path, warehouse, context):
    tab_bom = write_fec(fec_path(tmp_path, dossier="tab"), fec_rows(), "\t", "utf-8", "\r\n", bom=True)
    pipe_cp1252 = write_fec(fec_path(tmp_path, dossier="pipe"), fec_rows(montant_sens=True, pad=13), "|",
                            "cp1252", "\n")
    assert b"0000001234,56|D" in pipe_cp1252.read_bytes()  # the padded Montant/Sens layout really is on disk
    results = [load_file(warehouse, fec, path, context) for path in (tab_bom, pipe_cp1252)]
    assert [r.status for r in results] == ["charge", "charge"]
    # lines + the file-level row (+ the cp1252 conformity warning row)
    assert [r.rows_loaded for r in results] == [FIXTURE_LINES + 1, FIXTURE_LINES + 2]

    def lines_of(result):
        return warehouse.execute(
            """select _line, journal_code, ecriture_num, ecriture_date, compte_num, compte_lib, comp_aux_key,
                      ecriture_lib, debit, credit from raw_fec_lines where _file_hash = ? order by _line""",
            [result.file_hash],
        ).fetchall()

    tab_lines, pipe_lines = lines_of(results[0]), lines_of(results[1])
    assert tab_lines == pipe_lines
    expected_debit = Decimal(sum(d for *_, lines in ECRITURES for *_, d, _ in lines)) / 100
    expected_credit = Decimal(sum(c for *_, lines in ECRITURES for *_, c in lines)) / 100
    assert sum(row[8] for row in tab_lines) == expected_debit == expected_credit
    assert [row[0] for row in tab_lines] == list(range(2, FIXTURE_LINES + 2))  # line 1 is the header
    # account labels are kept (accents decoded alike), entry labels are not: they may name a person
    assert tab_lines[3][5] == "Eau et énergie" and tab_lines[3][7] is None
    assert tab_lines[4][8:] == (Decimal("0.00"), Decimal("1234.56"))

    files = warehouse.execute(
        """select separator, encoding, amount_layout, amount_padding, line_ending, status, line_count,
                  ecriture_count, total_debit, siren, closing_date, exercise_start, dossier
           from raw_fec_files order by dossier desc"""
    ).fetchall()
    assert files[0][:6] == ("tabulation", "utf-8-sig", "debit_credit", "aucun", "CRLF", "utilisable")
    assert files[1][:6] == ("barre verticale", "cp1252", "montant_sens", "zeros", "LF", "utilisable")
    for row in files:
        assert row[6:9] == (FIXTURE_LINES, len(ECRITURES), expected_debit)
        assert row[9:12] == (SIREN, dt.date(2023, 12, 31), dt.date(2023, 1, 1))
    assert [row[12] for row in files] == ["tab", "pipe"]  # the dossier is the parent folder

    # cp1252 is read (FI-08) with a conformity warning, not a rejection
    warnings = warehouse.execute(
        "select check_id, severity from raw_fec_checks where _file_hash = ?", [results[1].file_hash]
    ).fetchall()
    assert warnings == [("encodage_non_conforme", "avertissement")]


def test_aux_accounts_are_pseudonymised_and_their_names_dropped(tmp_path, context):
    tables, _ = read_all(write_fec(fec_path(tmp_path), fec_rows()), context)
    keys = {row["comp_aux_key"] for row in tables["raw_fec_lines"]} - {None}
    assert keys == {context.pseudonymiser.key(aux, fec.AUX_DOMAIN) for aux in ("F0001", "F0002", "R0001", "R0002")}
    assert "comp_aux_lib" not in fec.LINES_SCHEMA.names
    assert not any("Résident" in str(value) for row in tables["raw_fec_lines"] for value in row.values())


def test_iso_8859_15_mixed_line_ends_padding_trailing_separator_and_extra_columns(tmp_path, context):
    rows = fec_rows()
    rows[0] = rows[0] + ["DateRglt", "ModeRglt", "NatOp", "IdClient"]  # BNC columns (A47 A-1 VIII)
    rows[1:] = [row + ["", "", "", ""] for row in rows[1:]]
    rows[2] = [f" {value} " if i in (4, 11, 12) else value for i, value in enumerate(rows[2])]  # space padding
    text = "".join(
        "\t".join(row) + ("\t" if i == 3 else "") + ("\r\r\n" if i == 4 else "\n" if i % 2 else "\r\n")
        for i, row in enumerate(rows)
    )
    path = fec_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(text.replace("’", "'").encode("iso-8859-15"))
    tables, rejects = read_all(path, context)
    assert rejects == []
    (file_row,) = tables["raw_fec_files"]
    assert (file_row["encoding"], file_row["line_ending"], file_row["status"]) == ("iso-8859-15", "mixte", "utilisable")
    assert file_row["extra_columns"] == "DateRglt, ModeRglt, NatOp, IdClient"
    lines = tables["raw_fec_lines"]
    assert [row["_line"] for row in lines] == list(range(2, FIXTURE_LINES + 2))
    assert lines[1]["compte_num"] == "10200000" and lines[1]["credit"] == Decimal("12000.00")
    assert lines[3]["compte_lib"] == "Eau et énergie"


def test_blank_lines_keep_line_numbers_exact(tmp_path, context):
    rows = fec_rows()
    rows[4][3] = "2023-03-10"  # a bad date, on physical line 6 once a blank line is added before it
    text = "\r\n".join("\t".join(row) for row in rows[:3]) + "\r\n\r\n" + "\r\n".join("\t".join(r) for r in rows[3:])
    path = fec_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(text + "\r\n\r\n", encoding="utf-8", newline="")
    tables, rejects = read_all(path, context)
    assert [(r.line, r.reason) for r in rejects] == [
        (6, "EcritureDate « 2023-03-10 » invalide (date attendue au format AAAAMMJJ)")
    ]
    assert [row["_line"] for row in tables["raw_fec_lines"]][:4] == [2, 3, 5, 7]
    assert tables["raw_fec_files"][0]["line_count"] == FIXTURE_LINES


def test_an_irregular_line_end_met_while_streaming_goes_on_from_a_copy(tmp_path, context, monkeypatch):
    monkeypatch.setattr(fec, "CSV_BUFFER_BYTES", 1 << 20)  # several DuckDB buffers in a small file
    monkeypatch.setattr(fec, "STREAM_ROWS", 2048)  # several batches given before the irregular line end
    count = 10_000
    template = fec_rows()
    rows = [template[0]] + [template[4 + i % 2][:2] + [str(i // 2 + 2)] + template[4 + i % 2][3:]
                            for i in range(2 * count)]  # écriture 2 (2 lines) repeated with new numbers
    text = "".join("\t".join(row) + ("\n" if i == 2 * count - 7 else "\r\n") for i, row in enumerate(rows))
    path = fec_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode())
    tables, rejects = read_all(path, context)
    assert rejects == []
    assert [row["_line"] for row in tables["raw_fec_lines"]] == list(range(2, 2 * count + 2))
    (file_row,) = tables["raw_fec_files"]
    assert (file_row["line_ending"], file_row["ecriture_count"], file_row["status"]) == ("mixte", count, "utilisable")


# --------------------------------------------------------------------------------------------------
# Bad input: a clear French message, the rest of the file loads, nothing doubled
# --------------------------------------------------------------------------------------------------


def test_unbalanced_ecriture_makes_the_file_unusable(tmp_path, warehouse, context):
    rows = fec_rows()
    rows[6][11] = "900,00"  # écriture 3, line 7: 800,00 → 900,00
    result = load_file(warehouse, fec, write_fec(fec_path(tmp_path), rows), context)
    assert result.status == "charge" and result.rows_rejected == 0
    status, summary = warehouse.execute("select status, check_summary from raw_fec_files").fetchone()
    assert status == "inutilisable"
    assert "ecriture_desequilibree" in summary and "desequilibre_global" in summary
    ecriture = warehouse.execute(
        "select check_id, severity, journal_code, ecriture_num, lines, message, _line from raw_fec_checks "
        "where check_id = 'ecriture_desequilibree'"
    ).fetchone()
    assert ecriture[:5] == ("ecriture_desequilibree", "bloquant", "ACH", "3", "7, 8, 9")
    assert ecriture[6] == 7
    assert ecriture[5] == ("écriture ACH n° 3 (lignes 7, 8, 9) : déséquilibrée, débit 1\u202f099,99 ≠ crédit "
                           "999,99 (écart 100,00)")


@pytest.mark.parametrize(
    ("line_index", "column", "value", "reason"),
    [
        (5, 3, "20231345", "EcritureDate « 20231345 » invalide (date attendue au format AAAAMMJJ)"),
        (5, 11, "12x4,50", "Debit « 12x4,50 » n'est pas un montant (attendu par exemple 1234,56)"),
        (5, 17, None, "17 champ(s) au lieu de 18 (séparateur tabulation) : colonne(s) manquante(s) en fin de ligne"),
    ],
)
def test_a_bad_line_is_rejected_with_its_number_and_the_rest_loads(
    tmp_path, warehouse, context, line_index, column, value, reason
):
    rows = fec_rows()
    if value is None:
        rows[line_index] = rows[line_index][:column]  # 17 fields
    else:
        rows[line_index][column] = value
    result = load_file(warehouse, fec, write_fec(fec_path(tmp_path), rows), context)
    assert (result.status, result.rows_rejected) == ("charge", 1)
    assert warehouse.execute("select line, reason, file_name from rejects").fetchall() == [
        (line_index + 1, reason, f"{SIREN}FEC20231231.txt")
    ]
    assert warehouse.execute("select count(*) from raw_fec_lines").fetchone()[0] == FIXTURE_LINES - 1
    status, blocking = warehouse.execute("select status, blocking_failures from raw_fec_files").fetchone()
    assert status == "inutilisable" and blocking >= 1  # incomplete totals cannot be used
    assert warehouse.execute(
        "select _line from raw_fec_checks where check_id = 'lignes_rejetees'"
    ).fetchone() == (line_index + 1,)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: write_fec(p, [HEADER[:5] + HEADER[6:]] + [r[:5] + r[6:] for r in fec_rows()[1:]]),
         "colonne(s) obligatoire(s) absente(s) de l'en-tête : CompteLib"),
        (lambda p: write_fec(p, [r[:17] for r in fec_rows()]),
         "colonne(s) obligatoire(s) absente(s) de l'en-tête : Idevise (17 colonnes trouvées"),
        (lambda p: write_fec(p, fec_rows()[1:]), "en-tête absent"),
        (lambda p: p.write_bytes(b""), "fichier vide"),
        (lambda p: p.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 8), "fichier binaire"),
        (lambda p: p.write_bytes(b"JournalCode;JournalLib\n"), "séparateur inconnu"),
    ],
    ids=["missing_column", "17_columns", "no_header", "empty", "binary", "semicolons"],
)
def test_an_unreadable_file_is_rejected_whole_with_a_french_reason(tmp_path, warehouse, context, make, message):
    path = fec_path(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    result = load_file(warehouse, fec, path, context)
    assert result.status == "rejete"
    assert message in result.message and str(path) in result.message
    assert warehouse.execute("select status from load_log").fetchall() == [("rejete",)]
    (reason,) = warehouse.execute("select reason from rejects").fetchone()
    assert message in reason
    assert warehouse.execute("select count(*) from raw_fec_lines").fetchone()[0] == 0


def test_a_file_name_without_closing_date_is_rejected(tmp_path, warehouse, context):
    result = load_file(warehouse, fec, write_fec(tmp_path / "ESMS01" / "grand_livre_2023.txt", fec_rows()), context)
    assert result.status == "rejete" and "nom de fichier non conforme" in result.message


def test_the_same_file_twice_is_loaded_once(tmp_path, warehouse, context):
    path = write_fec(fec_path(tmp_path), fec_rows())
    first, second = load_file(warehouse, fec, path, context), load_file(warehouse, fec, path, context)
    assert (first.status, second.status) == ("charge", "deja_charge")
    counts = warehouse.execute(
        "select (select count(*) from raw_fec_lines), (select count(*) from raw_fec_files), "
        "(select count(*) from load_log)"
    ).fetchone()
    assert counts == (FIXTURE_LINES, 1, 1)


def test_dates_outside_the_exercise_and_missing_accounts_are_blocking(tmp_path, context):
    rows = fec_rows()
    for row in rows[12:14]:  # écriture 5 (BQ1), lines 13-14, dated in the next exercise
        row[3] = "20240110"
    rows[15][4] = ""  # écriture 6, line 16: no account
    tables, rejects = read_all(write_fec(fec_path(tmp_path), rows), context)
    assert rejects == []
    checks = checks_of(tables)
    (outside,) = checks["date_hors_exercice"]
    assert (outside["journal_code"], outside["ecriture_num"], outside["lines"]) == ("BQ1", "5", "13, 14")
    assert "datée du 10/01/2024, hors de l'exercice du 01/01/2023 au 31/12/2023" in outside["message"]
    (account,) = checks["compte_invalide"]
    assert (account["ecriture_num"], account["_line"]) == ("6", 15)
    assert "numéro de compte (CompteNum) absent" in account["message"]
    assert tables["raw_fec_files"][0]["status"] == "inutilisable"


def test_a_numbering_gap_is_only_a_warning(tmp_path, context):
    ecritures = [e for e in ECRITURES if e[2] not in ("3", "4")]  # numbers 1, 2, 5, 6
    tables, _ = read_all(write_fec(fec_path(tmp_path), fec_rows(ecritures)), context)
    (gap,) = checks_of(tables)["numerotation_discontinue"]
    assert gap["severity"] == "avertissement" and gap["ecriture_num"] == "5"
    assert "n° 3 à 4 absent(s) entre 2 et 5" in gap["message"]
    assert tables["raw_fec_files"][0]["status"] == "utilisable"


def test_montant_sens_with_an_unknown_sens_is_rejected(tmp_path, context):
    rows = fec_rows(montant_sens=True)
    rows[3][12] = "X"
    _, rejects = read_all(write_fec(fec_path(tmp_path), rows, "|"), context)
    assert [(r.line, r.reason) for r in rejects] == [(4, "Sens « X » invalide (attendu D ou C)")]


# --------------------------------------------------------------------------------------------------
# Discovery, inspect
# --------------------------------------------------------------------------------------------------


def test_discover_finds_dossier_folders_and_puts_a_redelivery_last(tmp_path):
    for name in (f"{SIREN}FEC20231231_v2.txt", f"{SIREN}FEC20241231.txt", f"{SIREN}FEC20231231.txt"):
        write_fec(tmp_path / "ESMS01" / name, fec_rows())
    write_fec(tmp_path / "SIEGE" / f"{SIREN}FEC20231231.txt", fec_rows())
    (tmp_path / "ESMS01" / "~$verrou.txt").write_text("x")
    assert [f"{p.parent.name}/{p.name}" for p in fec.discover(tmp_path)] == [
        f"ESMS01/{SIREN}FEC20231231.txt", f"ESMS01/{SIREN}FEC20231231_v2.txt", f"ESMS01/{SIREN}FEC20241231.txt",
        f"SIEGE/{SIREN}FEC20231231.txt",
    ]


def test_inspect_summarises_without_loading(tmp_path):
    rows = fec_rows()
    rows[6][11] = "900,00"
    path = write_fec(fec_path(tmp_path), rows)
    summary = summarise_fec(path)
    json.dumps(summary)  # --json
    expected: dict[str, list[int]] = {}
    for *_, lines in ECRITURES:
        for account, *_rest, debit, credit in lines:
            expected.setdefault(account[0], [0, 0])
            expected[account[0]][0] += debit + (100_00 if account == "61110000" else 0)
            expected[account[0]][1] += credit
    assert {row["class"]: (round(row["debit"] * 100), round(row["credit"] * 100)) for row in summary["balance_by_class"]} \
        == {cls: tuple(v) for cls, v in expected.items()}
    assert (summary["line_count"], summary["ecriture_count"], summary["status"]) == (FIXTURE_LINES, 6, "inutilisable")
    assert summary["exercise_start"] == "2023-01-01" and summary["siren"] == SIREN
    assert {c["check_id"] for c in summary["checks"]} == {"ecriture_desequilibree", "desequilibre_global"}
    text = format_summary(summary)
    assert "Exercice : du 01/01/2023 au 31/12/2023" in text
    assert "Statut : inutilisable" in text and "[BLOQUANT] ecriture_desequilibree : écriture ACH n° 3" in text
    assert "séparateur tabulation, encodage utf-8" in text


def test_inspect_reports_an_unreadable_file_without_raising(tmp_path):
    path = fec_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    summary = summarise_fec(path)
    assert summary["erreur"].startswith(f"{path}, ligne 1 : fichier vide")
    assert format_summary(summary).endswith(f"ERREUR : {summary['erreur']}")


# --------------------------------------------------------------------------------------------------
# The synthetic generator
# --------------------------------------------------------------------------------------------------

DOSSIERS = {"ESMS01": "500", "ESMS02": "183", "ESMS03": "246", "SIEGE": "siege"}


def digests(paths: list[Path], root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("generated")
    return root, write_fec_files(root, SIREN, DOSSIERS, [2023, 2024], seed=11)


def test_generator_is_deterministic(generated, tmp_path):
    root, paths = generated
    again = write_fec_files(tmp_path / "again", SIREN, DOSSIERS, [2023, 2024], seed=11)
    other = write_fec_files(tmp_path / "other", SIREN, DOSSIERS, [2023, 2024], seed=12)
    assert digests(paths, root) == digests(again, tmp_path / "again")
    assert digests(paths, root) != digests(other, tmp_path / "other")
    assert sorted(str(p.relative_to(root)) for p in paths) == sorted(
        [f"{d}/{SIREN}FEC{y}1231.txt" for d in DOSSIERS for y in (2023, 2024)] + [f"ESMS01/{SIREN}FEC20231231_v2.txt"]
    )


def test_generated_files_pass_every_blocking_check_in_varied_variants(generated):
    _, paths = generated
    variants = set()
    for path in paths:
        with fec.ParsedFec(path) as parsed:
            parsed.consume()
            failures = parsed.checks()
            assert [f.message for f in failures if f.severity == fec.BLOCKING] == [], path
            assert parsed.rejected_count == 0 and parsed.line_count > 1000
            variant = parsed.variant
            variants.add((variant.separator, variant.encoding, variant.amount_layout, variant.amount_padding,
                          variant.line_ending))
    assert variants == {
        ("\t", "utf-8-sig", "debit_credit", "aucun", "CRLF"), ("|", "cp1252", "montant_sens", "zeros", "LF"),
        ("\t", "iso-8859-15", "debit_credit", "aucun", "CRLF"), ("|", "utf-8", "debit_credit", "espaces", "LF"),
    }


def test_generated_exercises_chain_and_the_redelivery_completes_the_first(generated, warehouse, context):
    root, paths = generated
    for path in fec.discover(root):
        assert load_file(warehouse, fec, path, context).status == "charge"
    balances = """
        select l.compte_num, l.comp_aux_key, sum(l.debit - l.credit) as balance
        from raw_fec_lines l join raw_fec_files f using (_file_hash)
        where f.file_name = ? and f.dossier = ? {extra} group by all having balance <> 0
    """
    for dossier in DOSSIERS:
        first = "123456789FEC20231231_v2.txt" if dossier == "ESMS01" else "123456789FEC20231231.txt"
        closing = warehouse.execute(balances.format(extra=""), [first, dossier]).fetchall()
        result = -sum(b for account, _, b in closing if account[0] in "67")
        expected = {(a, k): b for a, k, b in closing if a[0] in "12345"}
        expected[("12000000" if result > 0 else "12900000", None)] = -result
        opening = warehouse.execute(balances.format(extra="and l.journal_code = 'AN'"),
                                    ["123456789FEC20241231.txt", dossier]).fetchall()
        assert {(a, k): b for a, k, b in opening} == expected, dossier
    ecritures = dict(warehouse.execute(
        "select file_name, ecriture_count from raw_fec_files where dossier = 'ESMS01' and file_name like '%2023%'"
    ).fetchall())
    assert ecritures["123456789FEC20231231_v2.txt"] == ecritures["123456789FEC20231231.txt"] + 1


def test_lines_target_scales_the_volume(tmp_path):
    paths = write_fec_files(tmp_path, SIREN, {"ESMS01": "246", "ESMS02": "500"}, [2023], seed=3, lines_target=30_000)
    exercises = [p for p in paths if not p.stem.endswith("_v2")]  # the re-delivered copy aside
    lines = sum(p.read_bytes().count(b"\n") - 1 for p in exercises)
    assert 0.9 * 30_000 <= lines <= 1.1 * 30_000


def _read_or_refusal(path: Path, context: ReadContext):
    try:
        return read_all(path, context)
    except fec.SourceFileError as exc:
        return str(exc)


def test_the_scratch_database_reused_from_file_to_file_gives_what_a_fresh_one_gives(tmp_path, context):
    """ParsedFec keeps its DuckDB scratch database open for the next file (ScratchDatabase): emptied after a
    good file, closed after a failed one; every file reads as it would in a new database."""
    unbalanced, bad_line, gap = fec_rows(), fec_rows(), fec_rows()
    unbalanced[6][11] = "900,00"
    bad_line[5][3] = "20231345"
    for row in gap[1:]:
        row[2] = str(int(row[2]) * 2)  # numbering gaps: the `numbers` temporary table
    paths = [
        write_fec(fec_path(tmp_path, dossier="A"), unbalanced),
        write_fec(fec_path(tmp_path, dossier="B"), bad_line, sep="|", encoding="cp1252", newline="\n"),
        write_fec(fec_path(tmp_path, dossier="C"), fec_rows()[1:]),  # refused: no header
        write_fec(fec_path(tmp_path, dossier="D"), gap),
    ]
    idle = fec.ScratchDatabase._idle.__dict__.setdefault("databases", {})

    def fresh(path: Path):
        if (database := idle.pop("128MB", None)) is not None:
            database.close()
        return _read_or_refusal(path, context)

    expected = [fresh(path) for path in paths]
    assert isinstance(expected[2], str) and "en-tête absent" in expected[2]
    assert checks_of(expected[0][0]) and expected[1][1] and checks_of(expected[3][0])
    fresh(paths[0])
    assert [_read_or_refusal(path, context) for path in paths + paths] == expected + expected
    database = idle["128MB"]
    assert database.con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)
