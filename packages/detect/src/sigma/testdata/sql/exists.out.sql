-- params: ["start",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND (("process.working_directory" IS NOT NULL) AND ("user.name" IS NULL))
ORDER BY "@timestamp", "event.id"
LIMIT $2
