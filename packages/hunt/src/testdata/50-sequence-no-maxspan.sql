WITH "s1" AS (SELECT "event.id" AS "id", "@timestamp" AS "ts", "event.sequence" AS "sq", "host.id" AS "k1", "user.name" AS "k2"
FROM "events_authentication"
WHERE coalesce("event.action" ILIKE $1 ESCAPE '\', false)),
"s2" AS (SELECT "event.id" AS "id", "@timestamp" AS "ts", "event.sequence" AS "sq", "host.id" AS "k1", "user.name" AS "k2"
FROM "events_authentication"
WHERE coalesce("event.action" ILIKE $2 ESCAPE '\', false)),
"c1" AS (SELECT "k1", "k2", "id" AS "id1", "ts" AS "ts1", "sq" AS "sq1" FROM "s1"),
"c2" AS (SELECT "k1", "k2", "id1", "ts1", "sq1", "id" AS "id2", "ts" AS "ts2", "sq" AS "sq2"
FROM (SELECT c.*, s."id", s."ts", s."sq", row_number() OVER (PARTITION BY c."id1" ORDER BY s."ts", s."sq", s."id") AS "rn"
FROM "c1" AS c JOIN "s2" AS s ON c."k1" = s."k1" AND c."k2" = s."k2" AND (s."ts" > c."ts1" OR (s."ts" = c."ts1" AND s."sq" > c."sq1"))) AS t
WHERE "rn" = 1),
"sequences" AS (SELECT "k1" AS "host.id", "k2" AS "user.name", "ts1" AS "sequence.start", "ts2" AS "sequence.end", "id1" AS "step1.event.id", "ts1" AS "step1.@timestamp", "id2" AS "step2.event.id", "ts2" AS "step2.@timestamp"
FROM (SELECT *, row_number() OVER (PARTITION BY "id2" ORDER BY "ts1" DESC, "id1" DESC) AS "rn" FROM "c2") AS t
WHERE "rn" = 1)
SELECT "host.id", "user.name", "sequence.start", "sequence.end", "step1.event.id", "step1.@timestamp", "step2.event.id", "step2.@timestamp"
FROM "sequences"
ORDER BY "sequence.start" ASC NULLS LAST
LIMIT $3
-- kind: sequence
-- params: ["logon\\_failed","logon",1000]
-- columns: host.id:keyword, user.name:keyword, sequence.start:date, sequence.end:date, step1.event.id:keyword, step1.@timestamp:date, step2.event.id:keyword, step2.@timestamp:date
