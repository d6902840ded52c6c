{#
  Shared logic of the DSN staging models (models/staging/dsn/): the rows of a raw DSN table that belong
  to a kept declaration (RH-12, stg_dsn__declarations), and the key of a contract across monthly files.
#}

{# Rows of `table` (raw_dsn_*) declared by a kept declaration × establishment, with its month and SIRET. #}
{% macro dsn_kept_rows(table) %}
    select
        raw.*,
        kept.declaring_finess,
        kept._load_id
    from {{ source('dsn', table) }} as raw
    join {{ ref('stg_dsn__declarations') }} as kept
        on kept._file_hash = raw._file_hash and kept.establishment_line = raw.establishment_line
{% endmacro %}

{#
  A contract is the same from one monthly file to the next when the individual, the declaring SIRET,
  the contract number and the start date are (Champollion's identifying data, spec §1.6).
#}
{% macro dsn_contract_key(individual_key, siret, contract_number, start_date) -%}
    concat_ws('|', {{ individual_key }}, {{ siret }}, {{ contract_number }}, strftime({{ start_date }}, '%Y-%m-%d'))
{%- endmacro %}

{#
  Rows of a contract's sub-block table (work stoppages, suspensions, ends…) with the key of their
  contract (its start date comes from the contract row of the same file).
#}
{% macro dsn_contract_rows(table) %}
    select
        rows.*,
        {{ dsn_contract_key('rows.individual_key', 'rows.siret', 'rows.contract_number', 'contracts.start_date') }}
            as contract_key
    from ({{ dsn_kept_rows(table) }}) as rows
    join {{ source('dsn', 'raw_dsn_contracts') }} as contracts
        on contracts._file_hash = rows._file_hash and contracts._line = rows.contract_line
    where rows.individual_key is not null
{% endmacro %}
