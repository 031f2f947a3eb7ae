WITH "q1" AS (SELECT "process.name" AS "process.name", count(*) AS "count"
FROM "events_process"
GROUP BY "process.name")
SELECT "process.name", "count"
FROM "q1"
ORDER BY "count" DESC NULLS LAST, "process.name" ASC NULLS LAST
LIMIT $1
-- kind: top
-- params: [5]
-- columns: process.name:keyword, count:number
