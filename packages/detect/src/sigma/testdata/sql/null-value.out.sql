-- params: ["start",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND ("user.name" IS NULL OR CAST("user.name" AS VARCHAR) = '')
ORDER BY "@timestamp", "event.id"
LIMIT $2
