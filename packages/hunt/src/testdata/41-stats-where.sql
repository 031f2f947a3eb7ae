WITH "q1" AS (SELECT "user.name" AS "user.name", count(*) AS "failures"
FROM "events_authentication"
WHERE coalesce("event.action" ILIKE $1 ESCAPE '\', false)
GROUP BY "user.name")
SELECT "user.name", "failures"
FROM "q1"
WHERE coalesce("failures" >= $2, false)
ORDER BY "failures" DESC NULLS LAST
LIMIT $3
-- kind: stats
-- params: ["logon\\_failed",5,1000]
-- columns: user.name:keyword, failures:number
