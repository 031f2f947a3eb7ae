WITH "q1" AS (SELECT "rule.name" AS "rule.name", count(*) AS "count"
FROM "events_alert"
WHERE (coalesce(len(list_filter("threat.technique.id", lambda v1: v1 ILIKE $1 ESCAPE '\')) > 0, false) AND coalesce("event.severity" >= $2, false) AND coalesce("event.action" ILIKE $3 ESCAPE '\', false))
GROUP BY "rule.name")
SELECT "rule.name", "count"
FROM "q1"
ORDER BY "count" DESC NULLS LAST, "rule.name" ASC NULLS LAST
LIMIT $4
-- kind: top
-- params: ["T1059.004",4,"created",10]
-- columns: rule.name:keyword, count:number
