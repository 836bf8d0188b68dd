"""foundation: categories and skills (seeded), residents, volunteers, help requests,
match runs and assignments, staff users and API tokens

Revision ID: 0001
Revises:
Create Date: 2026-11-26 21:37:58.019316
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label_ja", sa.String(length=80), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("trial_ok", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "duration_min > 0 AND duration_min <= 480", name=op.f("ck_categories_duration_range")
        ),
        sa.CheckConstraint("points >= 0", name=op.f("ck_categories_points_nonnegative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_categories_code")),
    )
    op.create_table(
        "residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("zone", sa.String(length=60), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("lat BETWEEN -90 AND 90", name=op.f("ck_residents_lat_range")),
        sa.CheckConstraint("lon BETWEEN -180 AND 180", name=op.f("ck_residents_lon_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
    )
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_residents_zone"), ["zone"], unique=False)

    op.create_table(
        "shops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
    )
    op.create_table(
        "skills",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label_ja", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_skills")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'coordinator')", name=op.f("ck_users_role_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("zone", sa.String(length=60), nullable=True),
        sa.Column("max_distance_m", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("registered_at", db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('trial', 'active', 'inactive')", name=op.f("ck_volunteers_status_known")
        ),
        sa.CheckConstraint(
            "birth_year BETWEEN 1900 AND 2100", name=op.f("ck_volunteers_birth_year_range")
        ),
        sa.CheckConstraint("lat BETWEEN -90 AND 90", name=op.f("ck_volunteers_lat_range")),
        sa.CheckConstraint("lon BETWEEN -180 AND 180", name=op.f("ck_volunteers_lon_range")),
        sa.CheckConstraint(
            "max_distance_m > 0 AND max_distance_m <= 20000",
            name=op.f("ck_volunteers_max_distance_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteers")),
    )
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteers_zone"), ["zone"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role IN ('admin', 'coordinator') AND user_id IS NOT NULL AND volunteer_id IS NULL AND shop_id IS NULL) OR (role = 'volunteer' AND volunteer_id IS NOT NULL AND user_id IS NULL AND shop_id IS NULL) OR (role = 'shop' AND shop_id IS NOT NULL AND user_id IS NULL AND volunteer_id IS NULL)",
            name=op.f("ck_api_tokens_owner_matches_role"),
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'volunteer', 'shop')",
            name=op.f("ck_api_tokens_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_api_tokens_shop_id_shops")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_api_tokens_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_api_tokens_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "availability_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("start_min", sa.SmallInteger(), nullable=False),
        sa.Column("end_min", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "start_min >= 0 AND start_min < end_min AND end_min <= 1440",
            name=op.f("ck_availability_slots_slot_order"),
        ),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_availability_slots_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_availability_slots_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_slots")),
    )
    with op.batch_alter_table("availability_slots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_availability_slots_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "category_skills",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("skill_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_category_skills_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_code"], ["skills.code"], name=op.f("fk_category_skills_skill_code_skills")
        ),
        sa.PrimaryKeyConstraint("category_id", "skill_code", name=op.f("pk_category_skills")),
    )
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("window_start", db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_end", db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_matched_at", db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'proposed', 'accepted', 'completed', 'cancelled')",
            name=op.f("ck_help_requests_status_known"),
        ),
        sa.CheckConstraint("window_end > window_start", name=op.f("ck_help_requests_window_order")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_help_requests_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_help_requests_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_requests")),
    )
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_help_requests_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            "ix_help_requests_status_window", ["status", "window_start"], unique=False
        )

    op.create_table(
        "match_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("zone", sa.String(length=60), nullable=True),
        sa.Column("window_from", db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_to", db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("requests_count", sa.Integer(), nullable=False),
        sa.Column("volunteers_count", sa.Integer(), nullable=False),
        sa.Column("matched_count", sa.Integer(), nullable=False),
        sa.Column("total_cost", sa.Float(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("unmatched", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_match_runs_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_runs")),
    )
    op.create_table(
        "volunteer_skills",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("skill_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["skill_code"], ["skills.code"], name=op.f("fk_volunteer_skills_skill_code_skills")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_skills_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "skill_code", name=op.f("pk_volunteer_skills")),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_run_id", sa.Integer(), nullable=True),
        sa.Column("help_request_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('proposed', 'accepted', 'completed', 'declined', 'cancelled', 'no_show')",
            name=op.f("ck_assignments_status_known"),
        ),
        sa.CheckConstraint("distance_m >= 0", name=op.f("ck_assignments_distance_nonnegative")),
        sa.ForeignKeyConstraint(
            ["help_request_id"],
            ["help_requests.id"],
            name=op.f("fk_assignments_help_request_id_help_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["match_run_id"], ["match_runs.id"], name=op.f("fk_assignments_match_run_id_match_runs")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_assignments_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignments_match_run_id"), ["match_run_id"], unique=False
        )
        batch_op.create_index(
            "ix_assignments_volunteer_status", ["volunteer_id", "status"], unique=False
        )
        batch_op.create_index(
            "uq_assignments_live_request",
            ["help_request_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('proposed', 'accepted', 'completed')"),
            postgresql_where=sa.text("status IN ('proposed', 'accepted', 'completed')"),
        )

    # The contract's seeded categories. Points follow the default rule (100 pt an hour in
    # 30-minute units, at least 50); a ward changes them in the categories table.
    skills = sa.table("skills", sa.column("code", sa.String), sa.column("label_ja", sa.String))
    op.bulk_insert(
        skills,
        [
            {"code": "garbage", "label_ja": "ゴミ出し"},
            {"code": "shopping", "label_ja": "買い物代行"},
            {"code": "ladder", "label_ja": "脚立を使う作業"},
        ],
    )
    categories = sa.table(
        "categories",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("label_ja", sa.String),
        sa.column("duration_min", sa.Integer),
        sa.column("points", sa.Integer),
        sa.column("trial_ok", sa.Boolean),
    )
    op.bulk_insert(
        categories,
        [
            # ゴミ出し is the classic first try: short, no money, no ladder
            {
                "id": 1,
                "code": "garbage",
                "label_ja": "ゴミ出し",
                "duration_min": 15,
                "points": 50,
                "trial_ok": True,
            },
            # handling a resident's money is for registered volunteers
            {
                "id": 2,
                "code": "shopping",
                "label_ja": "買い物",
                "duration_min": 60,
                "points": 100,
                "trial_ok": False,
            },
            # a ladder and a fall risk: registered volunteers only
            {
                "id": 3,
                "code": "light_bulb",
                "label_ja": "電球交換",
                "duration_min": 30,
                "points": 50,
                "trial_ok": False,
            },
        ],
    )
    category_skills = sa.table(
        "category_skills", sa.column("category_id", sa.Integer), sa.column("skill_code", sa.String)
    )
    op.bulk_insert(
        category_skills,
        [
            {"category_id": 1, "skill_code": "garbage"},
            {"category_id": 2, "skill_code": "shopping"},
            {"category_id": 3, "skill_code": "ladder"},
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        # explicit ids above: move the sequence past them
        op.execute("SELECT setval('categories_id_seq', (SELECT max(id) FROM categories))")


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_assignments_live_request",
            sqlite_where=sa.text("status IN ('proposed', 'accepted', 'completed')"),
            postgresql_where=sa.text("status IN ('proposed', 'accepted', 'completed')"),
        )
        batch_op.drop_index("ix_assignments_volunteer_status")
        batch_op.drop_index(batch_op.f("ix_assignments_match_run_id"))

    op.drop_table("assignments")
    op.drop_table("volunteer_skills")
    op.drop_table("match_runs")
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_help_requests_status_window")
        batch_op.drop_index(batch_op.f("ix_help_requests_resident_id"))

    op.drop_table("help_requests")
    op.drop_table("category_skills")
    with op.batch_alter_table("availability_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_availability_slots_volunteer_id"))

    op.drop_table("availability_slots")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_api_tokens_shop_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteers_zone"))

    op.drop_table("volunteers")
    op.drop_table("users")
    op.drop_table("skills")
    op.drop_table("shops")
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_residents_zone"))

    op.drop_table("residents")
    op.drop_table("categories")
