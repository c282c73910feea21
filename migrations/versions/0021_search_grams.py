"""search_grams: the register's name and content search through an index on PostgreSQL; the lists' order

At a province's scale (a million requests) the register's search by an applicant's name or a
description's words read every row (a LIKE '%…%' can use no B-tree). On PostgreSQL a GIN index now
holds each text's grams (gongkai/grams.py says which, and why not pg_trgm): `gk_grams(text)` is the
same function in SQL. SQLite keeps the LIKE scan: a county's tens of thousands of rows read fast.
The register lists newest first, by department for most officers: indexes on the dates it orders by.

Revision ID: 0021_search_grams
Revises: 0020_list_indexes
Create Date: 2026-12-02 13:00:00
"""
from alembic import op

revision = '0021_search_grams'
down_revision = '0020_list_indexes'
branch_labels = None
depends_on = None

# gongkai/grams.py: lower case; each run of Latin letters and digits gives each of its suffixes
# (at most 32 characters), each run of CJK characters each of its two-character grams and its last
# character alone. A term then matches through the index when each of its own grams is a prefix of
# one of these (gongkai.grams.tsquery), and the LIKE beside it keeps the match exact.
GRAMS = r"""
CREATE OR REPLACE FUNCTION gk_grams(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT g)), ''::tsvector)
  FROM (SELECT CASE WHEN m[1] ~ '^[0-9a-z]' THEN substr(m[1], i, 32) ELSE substr(m[1], i, 2) END AS g
        FROM regexp_matches(lower(t), '[0-9a-z]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+', 'g') AS m,
             generate_series(1, length(m[1])) AS i) AS grams
$$
"""
INDEXES = [("ix_disclosure_name_grams", "disclosure_request", "applicant_name"),
           ("ix_disclosure_description_grams", "disclosure_request", "description"),
           ("ix_policy_title_grams", "policy_case", "title"),
           ("ix_incident_title_grams", "incident_case", "title")]
ORDER = [("ix_disclosure_submitted", "disclosure_request", ["submitted_at", "id"]),
         ("ix_disclosure_dept_submitted", "disclosure_request", ["department_id", "submitted_at", "id"]),
         ("ix_policy_case_created", "policy_case", ["created_at", "id"]),
         ("ix_incident_case_detected", "incident_case", ["detected_at", "id"])]


def upgrade() -> None:
    for name, table, columns in ORDER:
        op.create_index(name, table, columns, unique=False)
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(GRAMS)
    for name, table, column in INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin (gk_grams({column}))")
    for table in sorted({table for _name, table, _column in INDEXES}):
        op.execute(f"ANALYZE {table}")  # the planner's statistics of the new expressions, from the start


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, _table, _column in INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute("DROP FUNCTION IF EXISTS gk_grams(text)")
    for name, table, _columns in ORDER:
        op.drop_index(name, table_name=table)
