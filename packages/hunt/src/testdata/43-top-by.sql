WITH "q1" AS (SELECT "host.id" AS "host.id", "process.name" AS "process.name", count(*) AS "count"
FROM "events_process"
GROUP BY "host.id", "process.name"),
"q2" AS (SELECT *, row_number() OVER (PARTITION BY "host.id" ORDER BY "count" DESC, "process.name" ASC NULLS LAST) AS "rank"
FROM "q1")
SELECT "host.id", "process.name", "count"
FROM "q2"
WHERE "rank" <= $1
ORDER BY "host.id" ASC NULLS LAST, "count" DESC NULLS LAST, "process.name" ASC NULLS LAST
LIMIT $2
-- kind: top
-- params: [3,1000]
-- columns: host.id:keyword, process.name:keyword, count:number
