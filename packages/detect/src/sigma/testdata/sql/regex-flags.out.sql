-- params: ["start","bash -i >& /dev/tcp/\\d+","(?ims)^echo.+done$",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND (coalesce(regexp_matches("process.command_line", $2), FALSE) OR coalesce(regexp_matches("process.command_line", $3), FALSE))
ORDER BY "@timestamp", "event.id"
LIMIT $4
