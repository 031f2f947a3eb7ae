-- params: ["start","^(?P<tool>nc|ncat) .*-e ",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND coalesce(regexp_matches("process.command_line", $2), FALSE)
ORDER BY "@timestamp", "event.id"
LIMIT $3
