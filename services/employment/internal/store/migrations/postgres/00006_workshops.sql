-- +goose Up
-- 就业帮扶车间 (see domain.Workshop): registered with the operator's 统一社会信用代码 (unique: the payee of
-- its rewards and the employer its workers' spells name); recognition is the evaluation that recognised it,
-- as JSON (month, 脱贫/监测 workers, the policy value and its hash).
CREATE TABLE employment_workshops (
    id            TEXT COLLATE "C" PRIMARY KEY,
    name          TEXT COLLATE "C" NOT NULL,
    credit_code   TEXT COLLATE "C" NOT NULL UNIQUE,
    region_code   TEXT COLLATE "C" NOT NULL,
    address       TEXT COLLATE "C" NOT NULL,
    kind          INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 5),
    state         INTEGER NOT NULL CHECK (state BETWEEN 1 AND 2),
    registered_on TEXT COLLATE "C" NOT NULL,
    recognition   TEXT COLLATE "C" NOT NULL DEFAULT '',
    version       BIGINT  NOT NULL,
    created_us    BIGINT  NOT NULL,
    updated_us    BIGINT  NOT NULL
);
CREATE INDEX employment_workshops_region ON employment_workshops (region_code, id);

-- A workshop's workers are the ledger's spells naming it as employer (by credit code or name).
CREATE INDEX employment_spells_employer ON employment_spells (employer, from_month);

-- Accident insurance (意外伤害保险) a workshop holds for its workers, per worker and month; one row per
-- insured worker, so "insured in month m" is a range query.
CREATE TABLE employment_workshop_insurances (
    id            TEXT COLLATE "C" PRIMARY KEY,
    workshop_id   TEXT COLLATE "C" NOT NULL REFERENCES employment_workshops (id),
    policy_number TEXT COLLATE "C" NOT NULL,
    insurer       TEXT COLLATE "C" NOT NULL,
    from_month    TEXT COLLATE "C" NOT NULL,
    to_month      TEXT COLLATE "C" NOT NULL,
    premium_fen   BIGINT  NOT NULL CHECK (premium_fen > 0),
    policy        TEXT COLLATE "C" NOT NULL,
    recorded_by   TEXT COLLATE "C" NOT NULL,
    created_us    BIGINT  NOT NULL,
    CHECK (to_month >= from_month)
);
CREATE INDEX employment_workshop_insurances_workshop ON employment_workshop_insurances (workshop_id, id);
CREATE TABLE employment_workshop_insured (
    insurance_id TEXT COLLATE "C" NOT NULL REFERENCES employment_workshop_insurances (id),
    person_id    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (insurance_id, person_id)
);

-- The reward per worker (就业帮扶车间奖补): once per workshop and worker, as a database fact; the payroll
-- entitlement that pays it is granted in the same transaction.
CREATE TABLE employment_workshop_rewards (
    id             TEXT COLLATE "C" PRIMARY KEY,
    workshop_id    TEXT COLLATE "C" NOT NULL REFERENCES employment_workshops (id),
    person_id      TEXT COLLATE "C" NOT NULL,
    household_id   TEXT COLLATE "C" NOT NULL,
    month          TEXT COLLATE "C" NOT NULL,
    stable_from    TEXT COLLATE "C" NOT NULL,
    stable_to      TEXT COLLATE "C" NOT NULL,
    amount_fen     BIGINT  NOT NULL CHECK (amount_fen >= 0),
    entitlement_id TEXT COLLATE "C" NOT NULL,
    policy         TEXT COLLATE "C" NOT NULL,
    recorded_by    TEXT COLLATE "C" NOT NULL,
    created_us     BIGINT  NOT NULL,
    UNIQUE (workshop_id, person_id)
);

-- +goose Down
DROP INDEX employment_spells_employer;
DROP TABLE employment_workshop_rewards;
DROP TABLE employment_workshop_insured;
DROP TABLE employment_workshop_insurances;
DROP TABLE employment_workshops;
