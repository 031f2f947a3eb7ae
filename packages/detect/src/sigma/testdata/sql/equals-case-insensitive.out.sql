-- params: ["start","/usr/bin/Curl",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND coalesce(lower("process.executable") = lower($2), FALSE)
ORDER BY "@timestamp", "event.id"
LIMIT $3
