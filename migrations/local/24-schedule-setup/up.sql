-- Schedule set-up (issue 17, requirement 4): the clinic's own pattern for its diary.
--
-- - Rooms become bookable resources of two categories: rooms and equipment (an
--   ultrasound, an X-ray machine). NULL is a room, as every room made before this.
-- - Appointment types: a name, a default length, a colour, and the resources an
--   appointment of the type holds (JSON ids); an appointment names its type and holds
--   those resources besides its room, so an X-ray room double-booked is a clash like a
--   vet.
-- - Working hours: per staff member and weekday (1 Monday … 7 Sunday), local times in
--   the clinic's time zone; several rows make a split shift. A vet with none has no
--   limits (a clinic that has not set hours up keeps booking as before).
-- - Blocks: time nobody may be booked into without forcing it — a holiday or a day off
--   (a staff member's), a meeting, a surgery block, a resource out of service; for one
--   staff member, one resource, or the whole clinic (both NULL).
-- - Slot templates: the clinic's pattern (Monday 09:00–12:00 vaccinations with any vet)
--   that the day board offers to book into.
-- - Recurring appointments share a series id.
-- Every table syncs last-writer-wins per cell like the rest.
ALTER TABLE rooms ADD COLUMN category TEXT;  -- room (or NULL) | equipment; anything else reads as a room

CREATE TABLE appointment_types (
    id          TEXT PRIMARY KEY NOT NULL,
    _hlc        BLOB,
    deleted     INTEGER NOT NULL DEFAULT 0,
    name        TEXT,
    minutes     INTEGER,
    colour      TEXT,      -- #rrggbb
    kind        TEXT,      -- the appointment kind it books (consultation, surgery…)
    resources   TEXT       -- JSON: ids of the rooms and equipment it needs
) STRICT;

CREATE TABLE work_hours (
    id          TEXT PRIMARY KEY NOT NULL,
    _hlc        BLOB,
    deleted     INTEGER NOT NULL DEFAULT 0,
    staff_id    TEXT,
    weekday     INTEGER,   -- 1 Monday … 7 Sunday
    starts      TEXT,      -- HH:MM, the clinic's time zone
    ends        TEXT
) STRICT;
CREATE INDEX work_hours_by_staff ON work_hours (staff_id, weekday);

CREATE TABLE schedule_blocks (
    id          TEXT PRIMARY KEY NOT NULL,
    _hlc        BLOB,
    deleted     INTEGER NOT NULL DEFAULT 0,
    staff_id    TEXT,      -- NULL with resource_id NULL: the whole clinic
    resource_id TEXT,
    starts_at   INTEGER,   -- Unix ms
    ends_at     INTEGER,
    kind        TEXT,      -- holiday, day_off, meeting, surgery, out_of_service, other
    reason      TEXT,
    created_by  TEXT
) STRICT;
CREATE INDEX schedule_blocks_by_time ON schedule_blocks (starts_at, ends_at);

CREATE TABLE slot_templates (
    id          TEXT PRIMARY KEY NOT NULL,
    _hlc        BLOB,
    deleted     INTEGER NOT NULL DEFAULT 0,
    weekday     INTEGER,
    starts      TEXT,
    ends        TEXT,
    type_id     TEXT,
    staff_id    TEXT       -- NULL: any vet
) STRICT;

ALTER TABLE appointments ADD COLUMN type_id TEXT;
ALTER TABLE appointments ADD COLUMN resources TEXT;  -- JSON: resources held besides the room
ALTER TABLE appointments ADD COLUMN series_id TEXT;
CREATE INDEX appointments_by_series ON appointments (series_id) WHERE series_id IS NOT NULL;
