-- params: ["start",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND (coalesce(lower("process.executable") = lower("process.parent.executable"), FALSE) OR coalesce(contains(lower("process.command_line"), lower("process.working_directory")), FALSE))
ORDER BY "@timestamp", "event.id"
LIMIT $2
