WITH "q1" AS (SELECT "host.name" AS "host.name", count(*) AS "count"
FROM "events_alert"
WHERE (coalesce("anomaly.profiler" ILIKE $1 ESCAPE '\', false) AND coalesce("anomaly.score" > $2, false))
GROUP BY "host.name")
SELECT "host.name", "count"
FROM "q1"
ORDER BY "host.name" ASC NULLS LAST
LIMIT $3
-- kind: stats
-- params: ["parent-child",0.8,1000]
-- columns: host.name:keyword, count:number
