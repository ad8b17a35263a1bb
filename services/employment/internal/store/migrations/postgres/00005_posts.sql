-- +goose Up
-- 公益性岗位 (area: posts): posts per village, assignments of persons to posts (each with its workflow
-- case: review, 公示, appointment), and the month's attendance with the pay it earned. The pay itself is
-- an entitlement in the platform's payroll tables (program welfare-post-wage), granted on approval.
CREATE TABLE welfare_posts (
    id           TEXT COLLATE "C"    PRIMARY KEY,
    region_code  TEXT COLLATE "C"    NOT NULL CHECK (char_length(region_code) = 12),
    kind         BIGINT NOT NULL CHECK (kind BETWEEN 1 AND 3),
    title        TEXT COLLATE "C"    NOT NULL,
    duties       TEXT COLLATE "C"    NOT NULL DEFAULT '',
    monthly_fen  BIGINT NOT NULL CHECK (monthly_fen >= 0),
    min_days     BIGINT NOT NULL CHECK (min_days BETWEEN 0 AND 31),
    term_months  BIGINT NOT NULL CHECK (term_months > 0),
    funding      BIGINT NOT NULL CHECK (funding BETWEEN 1 AND 4),
    funding_note TEXT COLLATE "C"    NOT NULL DEFAULT '',
    state        BIGINT NOT NULL CHECK (state IN (1, 2)),
    policy_hash  TEXT COLLATE "C"    NOT NULL DEFAULT '',
    created_us   BIGINT NOT NULL,
    updated_us   BIGINT NOT NULL
);
CREATE INDEX welfare_posts_region ON welfare_posts (region_code, id);

-- One row per person who was ever nominated: locked (PostgreSQL) while one post per person is checked.
CREATE TABLE welfare_post_holders (
    person_id TEXT COLLATE "C" PRIMARY KEY
);

CREATE TABLE welfare_post_assignments (
    id                  TEXT COLLATE "C"    PRIMARY KEY,
    post_id             TEXT COLLATE "C"    NOT NULL REFERENCES welfare_posts (id),
    person_id           TEXT COLLATE "C"    NOT NULL REFERENCES welfare_post_holders (person_id),
    household_id        TEXT COLLATE "C"    NOT NULL,
    region_code         TEXT COLLATE "C"    NOT NULL,
    case_id             TEXT COLLATE "C"    NOT NULL UNIQUE,
    start_date          TEXT COLLATE "C"    NOT NULL,
    end_date            TEXT COLLATE "C"    NOT NULL,
    renews_id           TEXT COLLATE "C"    NOT NULL DEFAULT '',
    home_bound          BIGINT NOT NULL DEFAULT 0,
    home_bound_note     TEXT COLLATE "C"    NOT NULL DEFAULT '',
    state               BIGINT NOT NULL CHECK (state BETWEEN 1 AND 4),
    insurer             TEXT COLLATE "C"    NOT NULL DEFAULT '',
    insurance_policy    TEXT COLLATE "C"    NOT NULL DEFAULT '',
    insured_from        TEXT COLLATE "C"    NOT NULL DEFAULT '',
    insured_to          TEXT COLLATE "C"    NOT NULL DEFAULT '',
    ended_on            TEXT COLLATE "C"    NOT NULL DEFAULT '',
    end_reason          BIGINT NOT NULL DEFAULT 0,
    end_note            TEXT COLLATE "C"    NOT NULL DEFAULT '',
    vacancy_reported_on TEXT COLLATE "C"    NOT NULL DEFAULT '',
    vacancy_late        BIGINT NOT NULL DEFAULT 0,
    forfeit_from        TEXT COLLATE "C"    NOT NULL DEFAULT '',
    version             BIGINT NOT NULL,
    created_us          BIGINT NOT NULL,
    updated_us          BIGINT NOT NULL,
    CHECK (end_date >= start_date)
);
CREATE INDEX welfare_post_assignments_person ON welfare_post_assignments (person_id) WHERE state IN (1, 2);
CREATE INDEX welfare_post_assignments_post ON welfare_post_assignments (post_id) WHERE state IN (1, 2);
CREATE INDEX welfare_post_assignments_household ON welfare_post_assignments (household_id) WHERE state IN (1, 2);
CREATE INDEX welfare_post_assignments_region ON welfare_post_assignments (region_code, id);

CREATE TABLE welfare_post_attendance (
    assignment_id  TEXT COLLATE "C"    NOT NULL REFERENCES welfare_post_assignments (id),
    month          TEXT COLLATE "C"    NOT NULL,
    days           BIGINT NOT NULL CHECK (days BETWEEN 0 AND 31),
    grade          BIGINT NOT NULL CHECK (grade BETWEEN 1 AND 3),
    note           TEXT COLLATE "C"    NOT NULL DEFAULT '',
    state          BIGINT NOT NULL CHECK (state IN (1, 2)),
    recorded_by    TEXT COLLATE "C"    NOT NULL,
    recorded_us    BIGINT NOT NULL,
    pay_fen        BIGINT NOT NULL DEFAULT 0 CHECK (pay_fen >= 0),
    entitlement_id TEXT COLLATE "C"    NOT NULL DEFAULT '',
    policy_hash    TEXT COLLATE "C"    NOT NULL DEFAULT '',
    explanation    TEXT COLLATE "C"    NOT NULL DEFAULT '',
    approved_by    TEXT COLLATE "C"    NOT NULL DEFAULT '',
    approved_us    BIGINT NOT NULL DEFAULT 0,
    person_id      TEXT COLLATE "C"    NOT NULL,
    region_code    TEXT COLLATE "C"    NOT NULL,
    PRIMARY KEY (assignment_id, month)
);
CREATE INDEX welfare_post_attendance_month ON welfare_post_attendance (month, region_code, assignment_id);

-- +goose Down
DROP TABLE welfare_post_attendance;
DROP TABLE welfare_post_assignments;
DROP TABLE welfare_post_holders;
DROP TABLE welfare_posts;
