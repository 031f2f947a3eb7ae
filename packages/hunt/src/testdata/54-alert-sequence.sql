WITH "s1" AS (SELECT "event.id" AS "id", "@timestamp" AS "ts", "event.sequence" AS "sq", "host.id" AS "k1"
FROM "events_alert"
WHERE coalesce("rule.ruleset" ILIKE $2 ESCAPE '\', false)),
"s2" AS (SELECT "event.id" AS "id", "@timestamp" AS "ts", "event.sequence" AS "sq", "host.id" AS "k1"
FROM "events_network"
WHERE coalesce("destination.port" = $3, false)),
"c1" AS (SELECT "k1", "id" AS "id1", "ts" AS "ts1", "sq" AS "sq1" FROM "s1"),
"c2" AS (SELECT "k1", "id1", "ts1", "sq1", "id" AS "id2", "ts" AS "ts2", "sq" AS "sq2"
FROM (SELECT c.*, s."id", s."ts", s."sq", row_number() OVER (PARTITION BY c."id1" ORDER BY s."ts", s."sq", s."id") AS "rn"
FROM "c1" AS c JOIN "s2" AS s ON c."k1" = s."k1" AND (s."ts" > c."ts1" OR (s."ts" = c."ts1" AND s."sq" > c."sq1")) AND s."ts" <= (c."ts1" + to_microseconds(CAST($1 AS BIGINT)))) AS t
WHERE "rn" = 1),
"sequences" AS (SELECT "k1" AS "host.id", "ts1" AS "sequence.start", "ts2" AS "sequence.end", "id1" AS "step1.event.id", "ts1" AS "step1.@timestamp", "id2" AS "step2.event.id", "ts2" AS "step2.@timestamp"
FROM (SELECT *, row_number() OVER (PARTITION BY "id2" ORDER BY "ts1" DESC, "id1" DESC) AS "rn" FROM "c2") AS t
WHERE "rn" = 1)
SELECT "host.id", "sequence.start", "sequence.end", "step1.event.id", "step1.@timestamp", "step2.event.id", "step2.@timestamp"
FROM "sequences"
ORDER BY "sequence.start" ASC NULLS LAST
LIMIT $4
-- kind: sequence
-- params: [600000000,"anomaly",4444,1000]
-- columns: host.id:keyword, sequence.start:date, sequence.end:date, step1.event.id:keyword, step1.@timestamp:date, step2.event.id:keyword, step2.@timestamp:date
