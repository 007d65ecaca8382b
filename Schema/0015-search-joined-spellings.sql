-- Names with a soft sign (Ковальчук, transliterated "koval'chuk") are also indexed without the
-- apostrophe ("kovalchuk"): the directory's search index is made anew from the tables once, by
-- the Swift step of this migration (Migrations.swift).
SELECT 1;
