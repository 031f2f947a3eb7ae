WITH "q1" AS (SELECT "host.id" AS "host.id", count(*) AS "count"
FROM "events_process"
GROUP BY "host.id")
SELECT "host.id", "count"
FROM "q1"
ORDER BY "host.id" ASC NULLS LAST
LIMIT $1
-- kind: stats
-- params: [1000]
-- columns: host.id:keyword, count:number
