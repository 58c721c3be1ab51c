"""The sandbox's tables for a lead's credit case, from the claimed lead to the payout: the
visit (check-ins, evidence documents, the checklist), the officer's worksheet and the second
officer's review, the credit committee and its votes, and the merchant's offer.

Each table has one owning module, which alone writes it; other modules may read the
columns declared here (the committee reads the visit and the worksheet to know whether a
case is ready). Money is in fen, times are ISO 8601 UTC, booleans are 0/1.
"""

CASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS check_ins (
    id TEXT PRIMARY KEY, lead_id TEXT NOT NULL REFERENCES leads(id),
    officer_id TEXT NOT NULL REFERENCES officers(id), at TEXT NOT NULL,
    latitude REAL NOT NULL, longitude REAL NOT NULL, live INTEGER NOT NULL,
    distance_m INTEGER NOT NULL,
    measured_from TEXT NOT NULL,                 -- 'merchant' | 'district'
    within_limit INTEGER NOT NULL,               -- 1 if distance_m <= the bank's limit
    reason TEXT NOT NULL DEFAULT '');            -- why, when farther than the limit
CREATE INDEX IF NOT EXISTS check_ins_by_lead ON check_ins (lead_id, officer_id);

CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, lead_id TEXT NOT NULL REFERENCES leads(id),
    kind TEXT NOT NULL,                          -- premises, stock, books, licence, ...
    sha256 TEXT NOT NULL, size INTEGER NOT NULL, content_type TEXT NOT NULL,
    uploaded_by TEXT NOT NULL, uploaded_at TEXT NOT NULL,
    taken_at TEXT, latitude REAL, longitude REAL, -- from EXIF, when present
    exif_verdict TEXT NOT NULL,                  -- ok | no_exif | far | stale
    storage_path TEXT NOT NULL,                  -- relative to the sandbox's data directory
    file_name TEXT NOT NULL DEFAULT '',          -- as the officer's phone named it
    distance_m INTEGER);                         -- from the photo's GPS to the business
CREATE INDEX IF NOT EXISTS documents_by_lead ON documents (lead_id);
CREATE INDEX IF NOT EXISTS documents_by_sha256 ON documents (sha256);

CREATE TABLE IF NOT EXISTS checklist_requirements (
    product_code TEXT NOT NULL, item_code TEXT NOT NULL,  -- required before committee
    PRIMARY KEY (product_code, item_code));
CREATE TABLE IF NOT EXISTS checklist_ticks (
    lead_id TEXT NOT NULL REFERENCES leads(id), item_code TEXT NOT NULL,
    officer_id TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL,
    PRIMARY KEY (lead_id, item_code));

CREATE TABLE IF NOT EXISTS worksheets (
    lead_id TEXT NOT NULL REFERENCES leads(id), version INTEGER NOT NULL,
    officer_id TEXT NOT NULL, saved_at TEXT NOT NULL,
    body TEXT NOT NULL,                          -- the worksheet's JSON
    PRIMARY KEY (lead_id, version));
CREATE TABLE IF NOT EXISTS worksheet_reviews (
    lead_id TEXT NOT NULL REFERENCES leads(id), version INTEGER NOT NULL,
    officer_id TEXT NOT NULL,                    -- the co-investigator
    verdict TEXT NOT NULL,                       -- 'confirmed' | 'dissent'
    note TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (lead_id, version, officer_id));

CREATE TABLE IF NOT EXISTS committees (
    code TEXT PRIMARY KEY, name TEXT NOT NULL,
    max_amount_fen INTEGER,                      -- its approval authority; NULL: no ceiling
    members_needed INTEGER NOT NULL, approvals_needed INTEGER NOT NULL,
    sla_hours INTEGER NOT NULL,                  -- working hours to decide
    chair_veto INTEGER NOT NULL DEFAULT 1);      -- a decline by the chair declines
CREATE TABLE IF NOT EXISTS committee_members (
    committee_code TEXT NOT NULL REFERENCES committees(code),
    officer_id TEXT NOT NULL REFERENCES officers(id), chair INTEGER NOT NULL,
    PRIMARY KEY (committee_code, officer_id));
CREATE TABLE IF NOT EXISTS committee_cases (
    id TEXT PRIMARY KEY, lead_id TEXT NOT NULL REFERENCES leads(id),
    committee_code TEXT NOT NULL REFERENCES committees(code),
    presented_by TEXT NOT NULL, presented_at TEXT NOT NULL,
    worksheet_version INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL, term_months INTEGER NOT NULL, method TEXT NOT NULL,
    recommendation TEXT NOT NULL,
    status TEXT NOT NULL,                        -- voting | approved | declined | more_info
    decided_at TEXT,
    decided_amount_fen INTEGER, decided_term_months INTEGER, decided_method TEXT,
    decline_reason TEXT, shared_note TEXT,       -- what the merchant may be told
    question TEXT);                              -- "ask for more": back to the officer
CREATE INDEX IF NOT EXISTS committee_cases_by_lead ON committee_cases (lead_id);
CREATE TABLE IF NOT EXISTS committee_votes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL REFERENCES committee_cases(id), member_id TEXT NOT NULL,
    vote TEXT NOT NULL,                          -- approve | approve_changed | decline | more_info
    amount_fen INTEGER, term_months INTEGER, method TEXT,  -- approve_changed
    reason TEXT, note TEXT NOT NULL, at TEXT NOT NULL,
    current INTEGER NOT NULL);                   -- a changed vote keeps its old row, current 0
CREATE INDEX IF NOT EXISTS committee_votes_by_case ON committee_votes (case_id, member_id);

CREATE TABLE IF NOT EXISTS offers (
    id TEXT PRIMARY KEY, lead_id TEXT NOT NULL REFERENCES leads(id),
    case_id TEXT NOT NULL REFERENCES committee_cases(id),
    customer_id TEXT, account_id TEXT,           -- set once the bank knows them
    amount_fen INTEGER NOT NULL, term_months INTEGER NOT NULL, method TEXT NOT NULL,
    annual_rate TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
    status TEXT NOT NULL,                        -- open | accepted | expired | withdrawn
    accepted_at TEXT, challenge_id TEXT, loan_id TEXT,
    accepted_binding TEXT);                      -- what the accepting code was bound to
CREATE INDEX IF NOT EXISTS offers_by_lead ON offers (lead_id);
"""
