-- params: ["start","%SeCrEt%",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND coalesce("process.command_line" LIKE $2 ESCAPE '\', FALSE)
ORDER BY "@timestamp", "event.id"
LIMIT $3
