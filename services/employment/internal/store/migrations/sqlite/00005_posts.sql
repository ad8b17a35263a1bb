-- +goose Up
-- 公益性岗位 (area: posts): posts per village, assignments of persons to posts (each with its workflow
-- case: review, 公示, appointment), and the month's attendance with the pay it earned. The pay itself is
-- an entitlement in the platform's payroll tables (program welfare-post-wage), granted on approval.
CREATE TABLE welfare_posts (
    id           TEXT    PRIMARY KEY,
    region_code  TEXT    NOT NULL CHECK (length(region_code) = 12),
    kind         INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 3),
    title        TEXT    NOT NULL,
    duties       TEXT    NOT NULL DEFAULT '',
    monthly_fen  INTEGER NOT NULL CHECK (monthly_fen >= 0),
    min_days     INTEGER NOT NULL CHECK (min_days BETWEEN 0 AND 31),
    term_months  INTEGER NOT NULL CHECK (term_months > 0),
    funding      INTEGER NOT NULL CHECK (funding BETWEEN 1 AND 4),
    funding_note TEXT    NOT NULL DEFAULT '',
    state        INTEGER NOT NULL CHECK (state IN (1, 2)),
    policy_hash  TEXT    NOT NULL DEFAULT '',
    created_us   INTEGER NOT NULL,
    updated_us   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX welfare_posts_region ON welfare_posts (region_code, id);

-- One row per person who was ever nominated: locked (PostgreSQL) while one post per person is checked.
CREATE TABLE welfare_post_holders (
    person_id TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE welfare_post_assignments (
    id                  TEXT    PRIMARY KEY,
    post_id             TEXT    NOT NULL REFERENCES welfare_posts (id),
    person_id           TEXT    NOT NULL REFERENCES welfare_post_holders (person_id),
    household_id        TEXT    NOT NULL,
    region_code         TEXT    NOT NULL,
    case_id             TEXT    NOT NULL UNIQUE,
    start_date          TEXT    NOT NULL,
    end_date            TEXT    NOT NULL,
    renews_id           TEXT    NOT NULL DEFAULT '',
    home_bound          INTEGER NOT NULL DEFAULT 0,
    home_bound_note     TEXT    NOT NULL DEFAULT '',
    state               INTEGER NOT NULL CHECK (state BETWEEN 1 AND 4),
    insurer             TEXT    NOT NULL DEFAULT '',
    insurance_policy    TEXT    NOT NULL DEFAULT '',
    insured_from        TEXT    NOT NULL DEFAULT '',
    insured_to          TEXT    NOT NULL DEFAULT '',
    ended_on            TEXT    NOT NULL DEFAULT '',
    end_reason          INTEGER NOT NULL DEFAULT 0,
    end_note            TEXT    NOT NULL DEFAULT '',
    vacancy_reported_on TEXT    NOT NULL DEFAULT '',
    vacancy_late        INTEGER NOT NULL DEFAULT 0,
    forfeit_from        TEXT    NOT NULL DEFAULT '',
    version             INTEGER NOT NULL,
    created_us          INTEGER NOT NULL,
    updated_us          INTEGER NOT NULL,
    CHECK (end_date >= start_date)
) WITHOUT ROWID;
CREATE INDEX welfare_post_assignments_person ON welfare_post_assignments (person_id) WHERE state IN (1, 2);
CREATE INDEX welfare_post_assignments_post ON welfare_post_assignments (post_id) WHERE state IN (1, 2);
CREATE INDEX welfare_post_assignments_household ON welfare_post_assignments (household_id) WHERE state IN (1, 2);
CREATE INDEX welfare_post_assignments_region ON welfare_post_assignments (region_code, id);

CREATE TABLE welfare_post_attendance (
    assignment_id  TEXT    NOT NULL REFERENCES welfare_post_assignments (id),
    month          TEXT    NOT NULL,
    days           INTEGER NOT NULL CHECK (days BETWEEN 0 AND 31),
    grade          INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 3),
    note           TEXT    NOT NULL DEFAULT '',
    state          INTEGER NOT NULL CHECK (state IN (1, 2)),
    recorded_by    TEXT    NOT NULL,
    recorded_us    INTEGER NOT NULL,
    pay_fen        INTEGER NOT NULL DEFAULT 0 CHECK (pay_fen >= 0),
    entitlement_id TEXT    NOT NULL DEFAULT '',
    policy_hash    TEXT    NOT NULL DEFAULT '',
    explanation    TEXT    NOT NULL DEFAULT '',
    approved_by    TEXT    NOT NULL DEFAULT '',
    approved_us    INTEGER NOT NULL DEFAULT 0,
    person_id      TEXT    NOT NULL,
    region_code    TEXT    NOT NULL,
    PRIMARY KEY (assignment_id, month)
) WITHOUT ROWID;
CREATE INDEX welfare_post_attendance_month ON welfare_post_attendance (month, region_code, assignment_id);

-- +goose Down
DROP TABLE welfare_post_attendance;
DROP TABLE welfare_post_assignments;
DROP TABLE welfare_post_holders;
DROP TABLE welfare_posts;
