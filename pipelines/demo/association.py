"""Write an association configuration file (TOML) for the demo and the tests."""

from __future__ import annotations

from pathlib import Path


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(
    path: Path,
    *,
    assoc_id: str,
    name: str,
    family: str,
    activity_path: Path | str,
    esms_sheet_path: Path | str,
    secret_path: Path | str,
    dsn_path: Path | str | None = None,
    dsn_establishments: dict[str, str] | None = None,
    fec_path: Path | str | None = None,
    fec_dossiers: dict[str, str] | None = None,
    fec_sections: dict[str, str] | None = None,
    settings: dict | None = None,
    output_root: Path | str | None = None,
    definitions: dict | None = None,
) -> Path:
    lines = [
        f"# Association « {name} » — configuration tdbms (voir docs/configuration.md)",
        f"id = {_toml_value(assoc_id)}",
        f"name = {_toml_value(name)}",
        "",
        "[activity]",
        f"family = {_toml_value(family)}",
        f"path = {_toml_value(activity_path)}",
        "",
        "[esms_sheet]",
        f"path = {_toml_value(esms_sheet_path)}",
        "",
        "[secret]",
        f"path = {_toml_value(secret_path)}",
    ]
    if dsn_path:
        lines += ["", "[dsn]", f"path = {_toml_value(dsn_path)}", "", "[dsn.establishments]  # SIRET = FINESS"]
        lines += [f"{_toml_value(k)} = {_toml_value(v)}" for k, v in (dsn_establishments or {}).items()]
    if fec_path:
        lines += ["", "[fec]", f"path = {_toml_value(fec_path)}", "", "[fec.dossiers]  # dossier comptable = FINESS ou siege"]
        lines += [f"{_toml_value(k)} = {_toml_value(v)}" for k, v in (fec_dossiers or {}).items()]
        if fec_sections:
            lines += ["", "[fec.sections]  # section tarifaire (EHPAD) = expression régulière sur le numéro de compte"]
            lines += [f"{_toml_value(k)} = {_toml_value(v)}" for k, v in fec_sections.items()]
    if output_root:
        lines += ["", "[output]", f"root = {_toml_value(output_root)}"]
    if definitions:  # release = "2026.1", local = "<folder of local indicators>"
        lines += ["", "[definitions]"] + [f"{k} = {_toml_value(v)}" for k, v in definitions.items()]
    if settings:
        lines += ["", "[settings]"] + [f"{k} = {_toml_value(v)}" for k, v in settings.items()]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
